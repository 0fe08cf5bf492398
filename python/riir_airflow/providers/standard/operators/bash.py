"""Airflow's `airflow.providers.standard.operators.bash`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.standard.bash import BashOperator as BashOperator

__all__ = [
    "BashOperator",
]
