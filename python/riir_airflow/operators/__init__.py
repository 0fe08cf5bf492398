"""Airflow's `airflow.operators` package (riir_airflow mirror)."""
