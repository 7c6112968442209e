"""FilterSets of the portfolio, shared by the HTML pages and the API: `catalogue` and `demand`."""
