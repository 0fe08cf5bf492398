"""Airflow's `airflow.utils.weight_rule`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.baseoperator import DB_SAFE_MAXIMUM as DB_SAFE_MAXIMUM
from riir_airflow.authoring.baseoperator import DB_SAFE_MINIMUM as DB_SAFE_MINIMUM
from riir_airflow.authoring.priority import db_safe_priority as db_safe_priority
from riir_airflow.authoring.trigger_rule import WeightRule as WeightRule

__all__ = [
    "DB_SAFE_MAXIMUM",
    "DB_SAFE_MINIMUM",
    "WeightRule",
    "db_safe_priority",
]
