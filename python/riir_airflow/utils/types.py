"""Airflow's `airflow.utils.types`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.notset import NOTSET as NOTSET
from riir_airflow._internal.notset import ArgNotSet as ArgNotSet
from riir_airflow._internal.states import DagRunType as DagRunType

__all__ = [
    "NOTSET",
    "ArgNotSet",
    "DagRunType",
]
