"""Airflow's `airflow.utils.timeout`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.timeout import timeout as timeout

__all__ = [
    "timeout",
]
