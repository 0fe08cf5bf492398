"""Airflow's `airflow.version`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._version import AIRFLOW_VERSION as version

__all__ = [
    "version",
]
