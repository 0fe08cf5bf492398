"""Airflow's `airflow.sdk.definitions._internal.types`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.notset import NOTSET as NOTSET
from riir_airflow.authoring.notset import SET_DURING_EXECUTION as SET_DURING_EXECUTION
from riir_airflow.authoring.notset import ArgNotSet as ArgNotSet
from riir_airflow.authoring.notset import SetDuringExecution as SetDuringExecution
from riir_airflow.authoring.notset import is_arg_set as is_arg_set

__all__ = [
    "NOTSET",
    "SET_DURING_EXECUTION",
    "ArgNotSet",
    "SetDuringExecution",
    "is_arg_set",
]
