"""Airflow's `airflow.utils.entry_points`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.module_loading import accepts_context as accepts_context
from riir_airflow.authoring.module_loading import accepts_keyword_args as accepts_keyword_args
from riir_airflow.authoring.module_loading import entry_points_with_dist as entry_points_with_dist
from riir_airflow.authoring.module_loading import import_string as import_string
from riir_airflow.authoring.module_loading import is_valid_dotpath as is_valid_dotpath
from riir_airflow.authoring.module_loading import iter_namespace as iter_namespace
from riir_airflow.authoring.module_loading import qualname as qualname

__all__ = [
    "accepts_context",
    "accepts_keyword_args",
    "entry_points_with_dist",
    "import_string",
    "is_valid_dotpath",
    "iter_namespace",
    "qualname",
]
