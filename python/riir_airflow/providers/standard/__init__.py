"""Airflow's `airflow.providers.standard` package (riir_airflow mirror)."""
