"""Airflow's `airflow.utils.types`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.notset import NOTSET as NOTSET
from riir_airflow.authoring.notset import ArgNotSet as ArgNotSet
from riir_airflow.states import DagRunType as DagRunType

__all__ = [
    "NOTSET",
    "ArgNotSet",
    "DagRunType",
]
