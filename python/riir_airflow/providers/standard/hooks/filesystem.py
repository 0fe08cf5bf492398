"""Airflow's `airflow.providers.standard.hooks.filesystem`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.hooks import FSHook as FSHook

__all__ = [
    "FSHook",
]
