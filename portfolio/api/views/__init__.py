"""API viewsets of the portfolio: `catalogue` (services, metrics) and `demand`."""
