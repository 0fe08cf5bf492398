"""Airflow's `airflow.sdk.bases.hook`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.hook import BaseHook as BaseHook

__all__ = [
    "BaseHook",
]
