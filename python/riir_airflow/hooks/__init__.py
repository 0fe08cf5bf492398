"""Airflow's `airflow.hooks` package (riir_airflow mirror)."""
