"""Airflow's `airflow.triggers.base`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.triggers import BaseEventTrigger as BaseEventTrigger
from riir_airflow.authoring.triggers import BaseTaskEndEvent as BaseTaskEndEvent
from riir_airflow.authoring.triggers import BaseTrigger as BaseTrigger
from riir_airflow.authoring.triggers import StartTriggerArgs as StartTriggerArgs
from riir_airflow.authoring.triggers import TaskFailedEvent as TaskFailedEvent
from riir_airflow.authoring.triggers import TaskSkippedEvent as TaskSkippedEvent
from riir_airflow.authoring.triggers import TaskSuccessEvent as TaskSuccessEvent
from riir_airflow.authoring.triggers import TriggerEvent as TriggerEvent

__all__ = [
    "BaseEventTrigger",
    "BaseTaskEndEvent",
    "BaseTrigger",
    "StartTriggerArgs",
    "TaskFailedEvent",
    "TaskSkippedEvent",
    "TaskSuccessEvent",
    "TriggerEvent",
]
