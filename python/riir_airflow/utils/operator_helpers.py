"""Airflow's `airflow.utils.operator_helpers`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.sdk_helpers import KeywordParameters as KeywordParameters
from riir_airflow.authoring.sdk_helpers import make_kwargs_callable as make_kwargs_callable
from riir_airflow.authoring.standard.python import determine_kwargs as determine_kwargs

__all__ = [
    "KeywordParameters",
    "determine_kwargs",
    "make_kwargs_callable",
]
