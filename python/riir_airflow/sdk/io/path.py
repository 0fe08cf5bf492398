"""Airflow's `airflow.sdk.io.path`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.object_storage import ObjectStoragePath as ObjectStoragePath

__all__ = [
    "ObjectStoragePath",
]
