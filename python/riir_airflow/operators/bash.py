"""Airflow's `airflow.operators.bash`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.bash import BashOperator as BashOperator

__all__ = [
    "BashOperator",
]
