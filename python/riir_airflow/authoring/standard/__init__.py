"""Operators, sensors, hooks and triggers of Airflow's standard provider."""
