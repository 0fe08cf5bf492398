"""Airflow's `airflow.utils` package (riir_airflow mirror)."""
