"""Airflow's `airflow.models.abstractoperator`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.abstractoperator import DEFAULT_OWNER as DEFAULT_OWNER
from riir_airflow.authoring.abstractoperator import DEFAULT_QUEUE as DEFAULT_QUEUE
from riir_airflow.authoring.abstractoperator import DEFAULT_TASK_EXECUTION_TIMEOUT as DEFAULT_TASK_EXECUTION_TIMEOUT
from riir_airflow.authoring.abstractoperator import AbstractOperator as AbstractOperator
from riir_airflow.authoring.abstractoperator import TaskStateChangeCallback as TaskStateChangeCallback

__all__ = [
    "DEFAULT_OWNER",
    "DEFAULT_QUEUE",
    "DEFAULT_TASK_EXECUTION_TIMEOUT",
    "AbstractOperator",
    "TaskStateChangeCallback",
]
