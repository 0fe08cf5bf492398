"""Airflow's `airflow.providers.standard.operators.python`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.python import BranchPythonOperator as BranchPythonOperator
from riir_airflow.authoring.standard.python import PythonOperator as PythonOperator
from riir_airflow.authoring.standard.python import ShortCircuitOperator as ShortCircuitOperator
from riir_airflow.authoring.standard.python import get_current_context as get_current_context
from riir_airflow.authoring.standard.python_virtualenv import (
    BranchExternalPythonOperator as BranchExternalPythonOperator,
)
from riir_airflow.authoring.standard.python_virtualenv import (
    BranchPythonVirtualenvOperator as BranchPythonVirtualenvOperator,
)
from riir_airflow.authoring.standard.python_virtualenv import ExternalPythonOperator as ExternalPythonOperator
from riir_airflow.authoring.standard.python_virtualenv import PythonVirtualenvOperator as PythonVirtualenvOperator

__all__ = [
    "BranchExternalPythonOperator",
    "BranchPythonOperator",
    "BranchPythonVirtualenvOperator",
    "ExternalPythonOperator",
    "PythonOperator",
    "PythonVirtualenvOperator",
    "ShortCircuitOperator",
    "get_current_context",
]
