"""Airflow's `airflow.sdk.definitions.param`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.params import DagParam as DagParam
from riir_airflow._internal.params import Param as Param
from riir_airflow._internal.params import ParamsDict as ParamsDict

__all__ = [
    "DagParam",
    "Param",
    "ParamsDict",
]
