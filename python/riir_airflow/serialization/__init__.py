"""A DAG as JSON: what apps write to the metastore and the broker reads without importing DAG code."""
