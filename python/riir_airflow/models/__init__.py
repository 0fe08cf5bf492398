"""Airflow's `airflow.models`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.baseoperator import BaseOperator as BaseOperator
from riir_airflow.authoring.connection import Connection as Connection
from riir_airflow.authoring.dag import DAG as DAG
from riir_airflow.authoring.mapped import MappedOperator as MappedOperator
from riir_airflow.authoring.node import MAX_KEY_LENGTH as ID_LEN
from riir_airflow.authoring.operatorlink import BaseOperatorLink as BaseOperatorLink
from riir_airflow.authoring.params import Param as Param
from riir_airflow.authoring.params import ParamsDict as ParamsDict
from riir_airflow.authoring.pool import Pool as Pool
from riir_airflow.authoring.skipmixin import SkipMixin as SkipMixin
from riir_airflow.authoring.variable import Variable as Variable
from riir_airflow.authoring.xcom import BaseXCom as BaseXCom
from riir_airflow.authoring.xcom import XCom as XCom
from riir_airflow.authoring.xcom_arg import XComArg as XComArg
from riir_airflow.dag_processing.loader import DagBag as DagBag
from riir_airflow.runtime.task_instance import DagRunView as DagRun
from riir_airflow.runtime.task_instance import RuntimeTaskInstance as TaskInstance

__all__ = [
    "DAG",
    "ID_LEN",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseXCom",
    "Connection",
    "DagBag",
    "DagRun",
    "MappedOperator",
    "Param",
    "ParamsDict",
    "Pool",
    "SkipMixin",
    "TaskInstance",
    "Variable",
    "XCom",
    "XComArg",
]


def __getattr__(name: str) -> object:
    """Airflow names riir-airflow does not provide fail with why, and what to use instead."""
    from riir_airflow.import_paths import out_of_scope_error

    raise out_of_scope_error("models", name)
