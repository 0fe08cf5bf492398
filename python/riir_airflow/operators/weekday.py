"""Airflow's `airflow.operators.weekday`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.weekday import BranchDayOfWeekOperator as BranchDayOfWeekOperator

__all__ = [
    "BranchDayOfWeekOperator",
]
