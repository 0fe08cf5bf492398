"""Airflow's `airflow.settings`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.sdk_helpers import AIRFLOW_HOME as AIRFLOW_HOME
from riir_airflow.authoring.sdk_helpers import pod_mutation_hook as pod_mutation_hook

__all__ = [
    "AIRFLOW_HOME",
    "pod_mutation_hook",
]
