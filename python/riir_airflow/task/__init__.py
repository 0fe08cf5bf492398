"""Airflow's `airflow.task` package (riir_airflow mirror)."""
