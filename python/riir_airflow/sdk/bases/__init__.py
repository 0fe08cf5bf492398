"""Airflow's `airflow.sdk.bases` package (riir_airflow mirror)."""
