"""Airflow's `airflow.utils.hashlib_wrapper`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.airflow_utils import md5 as md5

__all__ = [
    "md5",
]
