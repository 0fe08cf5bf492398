"""Airflow's `airflow.models.skipmixin`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.skipmixin import SkipMixin as SkipMixin

__all__ = [
    "SkipMixin",
]
