"""Airflow's `airflow.sdk.definitions` package (riir_airflow mirror)."""
