"""Airflow's `airflow.utils.log.logging_mixin`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.logging_mixin import LoggingMixin as LoggingMixin
from riir_airflow.authoring.logging_mixin import remove_escape_codes as remove_escape_codes

__all__ = [
    "LoggingMixin",
    "remove_escape_codes",
]
