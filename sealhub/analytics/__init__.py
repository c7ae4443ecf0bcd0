"""Analytics: usage statistics and the dashboards' data. Read-only; it asks the other
contexts' services for figures and never reads their tables."""
