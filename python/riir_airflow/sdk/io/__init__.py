"""Airflow's `airflow.sdk.io`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.object_storage import ObjectStoragePath as ObjectStoragePath
from riir_airflow.authoring.object_storage import attach as attach

__all__ = [
    "ObjectStoragePath",
    "attach",
]
