"""Airflow's `airflow.sdk.io.typedef`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.object_storage import Properties as Properties

__all__ = [
    "Properties",
]
