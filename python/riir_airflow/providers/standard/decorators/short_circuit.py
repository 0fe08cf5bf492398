"""Airflow's `airflow.providers.standard.decorators.short_circuit`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import short_circuit_task as short_circuit_task

__all__ = [
    "short_circuit_task",
]
