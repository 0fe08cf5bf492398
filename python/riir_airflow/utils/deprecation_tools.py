"""Airflow's `airflow.utils.deprecation_tools`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.deprecation_tools import DeprecatedImportWarning as DeprecatedImportWarning
from riir_airflow.authoring.deprecation_tools import add_deprecated_classes as add_deprecated_classes
from riir_airflow.authoring.deprecation_tools import getattr_with_deprecation as getattr_with_deprecation

__all__ = [
    "DeprecatedImportWarning",
    "add_deprecated_classes",
    "getattr_with_deprecation",
]
