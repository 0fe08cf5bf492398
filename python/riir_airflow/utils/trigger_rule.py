"""Airflow's `airflow.utils.trigger_rule`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.trigger_rule import TriggerRule as TriggerRule

__all__ = [
    "TriggerRule",
]
