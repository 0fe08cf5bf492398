"""Airflow's `airflow.sdk.definitions.deadline`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.deadline import BaseDeadlineReference as BaseDeadlineReference
from riir_airflow.authoring.deadline import DeadlineAlert as DeadlineAlert
from riir_airflow.authoring.deadline import DeadlineReference as DeadlineReference
from riir_airflow.authoring.deadline import VariableInterval as VariableInterval
from riir_airflow.authoring.deadline import deadline_reference as deadline_reference

__all__ = [
    "BaseDeadlineReference",
    "DeadlineAlert",
    "DeadlineReference",
    "VariableInterval",
    "deadline_reference",
]
