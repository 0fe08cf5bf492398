"""Airflow's `airflow.models.baseoperatorlink`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.operatorlink import BaseOperatorLink as BaseOperatorLink

__all__ = [
    "BaseOperatorLink",
]
