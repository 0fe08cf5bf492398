"""Airflow's `airflow.triggers` package (riir_airflow mirror).

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""
