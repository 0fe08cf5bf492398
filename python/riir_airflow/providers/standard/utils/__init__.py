"""Airflow's `airflow.providers.standard.utils` package (riir_airflow mirror)."""
