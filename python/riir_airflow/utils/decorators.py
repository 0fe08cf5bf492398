"""Airflow's `airflow.utils.decorators`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.module_loading import fixup_decorator_warning_stack as fixup_decorator_warning_stack
from riir_airflow._internal.standard.virtualenv import remove_task_decorator as remove_task_decorator

__all__ = [
    "fixup_decorator_warning_stack",
    "remove_task_decorator",
]
