"""Airflow's `airflow.io.storage`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.object_storage import attach as attach

__all__ = [
    "attach",
]
