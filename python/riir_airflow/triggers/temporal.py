"""Airflow's `airflow.triggers.temporal`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.triggers import DateTimeTrigger as DateTimeTrigger
from riir_airflow.authoring.standard.triggers import TimeDeltaTrigger as TimeDeltaTrigger

__all__ = [
    "DateTimeTrigger",
    "TimeDeltaTrigger",
]
