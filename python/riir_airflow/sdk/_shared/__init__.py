"""Airflow's `airflow.sdk._shared` package (riir_airflow mirror).

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""
