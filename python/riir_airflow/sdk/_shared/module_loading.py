"""Airflow's `airflow.sdk._shared.module_loading`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.sdk_helpers import is_valid_dotpath as is_valid_dotpath
from riir_airflow.authoring.sdk_helpers import iter_namespace as iter_namespace

__all__ = [
    "is_valid_dotpath",
    "iter_namespace",
]
