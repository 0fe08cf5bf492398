"""Airflow's `airflow.models.xcom_arg`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.xcom_arg import XComArg as XComArg

__all__ = [
    "XComArg",
]
