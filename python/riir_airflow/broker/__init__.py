"""The broker: Airflow-compatible REST API, auth and discovery over the metastore (see app.create_app)."""
