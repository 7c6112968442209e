"""Read-side queries of the portfolio: `catalogue` (service list, metric history, performance
pack) and `demand` (ranked board, kanban, value leakage, portfolio share)."""
