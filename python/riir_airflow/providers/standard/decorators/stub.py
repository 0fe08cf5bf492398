"""Airflow's `airflow.providers.standard.decorators.stub`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.decorators import stub as stub

__all__ = [
    "stub",
]
