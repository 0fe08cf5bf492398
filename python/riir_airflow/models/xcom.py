"""Airflow's `airflow.models.xcom`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.xcom import BaseXCom as BaseXCom
from riir_airflow.authoring.xcom import XCom as XCom
from riir_airflow.authoring.xcom_arg import XCOM_RETURN_KEY as XCOM_RETURN_KEY

__all__ = [
    "XCOM_RETURN_KEY",
    "BaseXCom",
    "XCom",
]
