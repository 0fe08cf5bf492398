"""Airflow's `airflow.providers.standard.sensors` package (riir_airflow mirror)."""
