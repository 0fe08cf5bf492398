"""Airflow's `airflow.assets`: Airflow 3 removed the names DAG authors imported from here.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

__all__: list[str] = []
