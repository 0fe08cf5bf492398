"""Airflow's `airflow.utils.weight_rule`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.baseoperator import DB_SAFE_MAXIMUM as DB_SAFE_MAXIMUM
from riir_airflow._internal.baseoperator import DB_SAFE_MINIMUM as DB_SAFE_MINIMUM
from riir_airflow._internal.priority import db_safe_priority as db_safe_priority
from riir_airflow._internal.trigger_rule import WeightRule as WeightRule

__all__ = [
    "DB_SAFE_MAXIMUM",
    "DB_SAFE_MINIMUM",
    "WeightRule",
    "db_safe_priority",
]
