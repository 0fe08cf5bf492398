"""Airflow's `airflow.sdk.definitions.param`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.params import DagParam as DagParam
from riir_airflow.authoring.params import Param as Param
from riir_airflow.authoring.params import ParamsDict as ParamsDict

__all__ = [
    "DagParam",
    "Param",
    "ParamsDict",
]
