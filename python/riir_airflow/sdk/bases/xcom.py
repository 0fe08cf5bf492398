"""Airflow's `airflow.sdk.bases.xcom`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.xcom import BaseXCom as BaseXCom

__all__ = [
    "BaseXCom",
]
