"""Airflow's `airflow.models`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.baseoperator import BaseOperator as BaseOperator
from riir_airflow._internal.connection import Connection as Connection
from riir_airflow._internal.dag import DAG as DAG
from riir_airflow._internal.dagbag import DagBag as DagBag
from riir_airflow._internal.mapped import MappedOperator as MappedOperator
from riir_airflow._internal.params import Param as Param
from riir_airflow._internal.params import ParamsDict as ParamsDict
from riir_airflow._internal.variable import Variable as Variable
from riir_airflow._internal.xcom_arg import XComArg as XComArg

__all__ = [
    "DAG",
    "BaseOperator",
    "Connection",
    "DagBag",
    "MappedOperator",
    "Param",
    "ParamsDict",
    "Variable",
    "XComArg",
]
