"""Airflow's `airflow.utils.xcom`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.xcom_arg import XCOM_RETURN_KEY as XCOM_RETURN_KEY

__all__ = [
    "XCOM_RETURN_KEY",
]
