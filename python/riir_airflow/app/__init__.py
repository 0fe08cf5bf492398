"""The DAG app: one long-lived process per DAG file that schedules and runs that file's DAGs over the metastore."""
