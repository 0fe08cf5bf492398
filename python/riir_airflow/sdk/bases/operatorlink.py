"""Airflow's `airflow.sdk.bases.operatorlink`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.operatorlink import BaseOperatorLink as BaseOperatorLink

__all__ = [
    "BaseOperatorLink",
]
