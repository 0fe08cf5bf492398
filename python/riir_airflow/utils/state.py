"""Airflow's `airflow.utils.state`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.states import DagRunState as DagRunState
from riir_airflow.states import State as State
from riir_airflow.states import TaskInstanceState as TaskInstanceState

__all__ = [
    "DagRunState",
    "State",
    "TaskInstanceState",
]
