"""Airflow's `airflow.listeners`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.plugins.listeners import hookimpl as hookimpl

__all__ = [
    "hookimpl",
]
