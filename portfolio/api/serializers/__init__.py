"""API shapes of the portfolio: `catalogue` (services, metrics) and `demand`."""
