"""Airflow's `airflow.timetables` package (riir_airflow mirror)."""
