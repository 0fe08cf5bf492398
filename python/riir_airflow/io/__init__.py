"""Airflow's `airflow.io` package (riir_airflow mirror).

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""
