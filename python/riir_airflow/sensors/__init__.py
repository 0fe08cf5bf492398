"""Airflow's `airflow.sensors` package (riir_airflow mirror)."""
