"""Airflow's `airflow.providers.standard.triggers.external_task`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.triggers import DagStateTrigger as DagStateTrigger
from riir_airflow.authoring.standard.triggers import WorkflowTrigger as WorkflowTrigger

__all__ = [
    "DagStateTrigger",
    "WorkflowTrigger",
]
