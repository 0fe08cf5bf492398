"""Airflow's `airflow.utils.platform`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.airflow_utils import getuser as getuser

__all__ = [
    "getuser",
]
