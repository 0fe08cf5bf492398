"""Airflow's `airflow.dag_processing` package (riir_airflow mirror)."""
