"""Layout builders and figure factories of the dashboard (no data loading, no globals)."""
