"""Airflow's `airflow.operators.trigger_dagrun`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.trigger_dagrun import TriggerDagRunOperator as TriggerDagRunOperator

__all__ = [
    "TriggerDagRunOperator",
]
