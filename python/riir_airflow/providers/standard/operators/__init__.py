"""Airflow's `airflow.providers.standard.operators` package (riir_airflow mirror)."""
