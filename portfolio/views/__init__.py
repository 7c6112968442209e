"""HTML pages of the portfolio: `catalogue` (services) and `demand` (demands, objectives)."""
