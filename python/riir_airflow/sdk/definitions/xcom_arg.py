"""Airflow's `airflow.sdk.definitions.xcom_arg`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.xcom_arg import MapXComArg as MapXComArg
from riir_airflow.authoring.xcom_arg import PlainXComArg as PlainXComArg
from riir_airflow.authoring.xcom_arg import XComArg as XComArg
from riir_airflow.authoring.xcom_arg import ZipXComArg as ZipXComArg

__all__ = [
    "MapXComArg",
    "PlainXComArg",
    "XComArg",
    "ZipXComArg",
]
