"""Airflow's `airflow.utils.yaml`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.airflow_yaml import dump as dump
from riir_airflow.authoring.airflow_yaml import full_load as full_load
from riir_airflow.authoring.airflow_yaml import safe_load as safe_load

__all__ = [
    "dump",
    "full_load",
    "safe_load",
]
