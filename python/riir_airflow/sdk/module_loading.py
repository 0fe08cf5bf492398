"""Airflow's `airflow.sdk.module_loading`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.module_loading import import_string as import_string
from riir_airflow.authoring.module_loading import qualname as qualname
from riir_airflow.authoring.sdk_helpers import is_valid_dotpath as is_valid_dotpath
from riir_airflow.authoring.sdk_helpers import iter_namespace as iter_namespace

__all__ = [
    "import_string",
    "is_valid_dotpath",
    "iter_namespace",
    "qualname",
]
