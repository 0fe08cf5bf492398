"""Airflow's `airflow.sdk.io.stat`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.object_storage import stat_result as stat_result

__all__ = [
    "stat_result",
]
