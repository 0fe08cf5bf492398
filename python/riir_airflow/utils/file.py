"""Airflow's `airflow.utils.file`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.airflow_utils import correct_maybe_zipped as correct_maybe_zipped

__all__ = [
    "correct_maybe_zipped",
]
