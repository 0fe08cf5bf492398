"""Airflow's `airflow.sdk.bases.resumablejobmixin`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.resumable import ResumableJobMixin as ResumableJobMixin

__all__ = [
    "ResumableJobMixin",
]
