"""Airflow's `airflow.task.weight_rule`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.trigger_rule import WeightRule as WeightRule

__all__ = [
    "WeightRule",
]
