"""Airflow's `airflow.utils.strings`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.airflow_utils import get_random_string as get_random_string
from riir_airflow.authoring.airflow_utils import to_boolean as to_boolean

__all__ = [
    "get_random_string",
    "to_boolean",
]
