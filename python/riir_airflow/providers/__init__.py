"""Airflow's `airflow.providers` package (riir_airflow mirror)."""
