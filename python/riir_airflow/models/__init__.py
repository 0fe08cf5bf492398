"""Airflow's `airflow.models`: re-exports only, each imported on first use (as Airflow's own module).

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
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

# public name -> (module, attribute)
_TARGETS: dict[str, tuple[str, str]] = {
    "DAG": ("riir_airflow.authoring.dag", "DAG"),
    "ID_LEN": ("riir_airflow.authoring.node", "MAX_KEY_LENGTH"),
    "BaseOperator": ("riir_airflow.authoring.baseoperator", "BaseOperator"),
    "BaseOperatorLink": ("riir_airflow.authoring.operatorlink", "BaseOperatorLink"),
    "BaseXCom": ("riir_airflow.authoring.xcom", "BaseXCom"),
    "Connection": ("riir_airflow.authoring.connection", "Connection"),
    "DagBag": ("riir_airflow.dag_processing.loader", "DagBag"),
    "DagRun": ("riir_airflow.runtime.task_instance", "DagRunView"),
    "MappedOperator": ("riir_airflow.authoring.mapped", "MappedOperator"),
    "Param": ("riir_airflow.authoring.params", "Param"),
    "ParamsDict": ("riir_airflow.authoring.params", "ParamsDict"),
    "Pool": ("riir_airflow.authoring.pool", "Pool"),
    "SkipMixin": ("riir_airflow.authoring.skipmixin", "SkipMixin"),
    "TaskInstance": ("riir_airflow.runtime.task_instance", "RuntimeTaskInstance"),
    "Variable": ("riir_airflow.authoring.variable", "Variable"),
    "XCom": ("riir_airflow.authoring.xcom", "XCom"),
    "XComArg": ("riir_airflow.authoring.xcom_arg", "XComArg"),
}

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
    """Imports a name on first use; Airflow names riir-airflow does not provide fail with why."""
    target = _TARGETS.get(name)
    if target is None:
        from riir_airflow.import_paths import out_of_scope_error

        raise out_of_scope_error("models", name)
    module = importlib.import_module(target[0])
    if hasattr(module, target[1]):
        value = getattr(module, target[1])
    else:  # a submodule (`airflow.sdk.macros`)
        value = importlib.import_module(".".join(target))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
