"""Airflow's `airflow.utils.decorators`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.module_loading import fixup_decorator_warning_stack as fixup_decorator_warning_stack
from riir_airflow.authoring.standard.virtualenv import remove_task_decorator as remove_task_decorator

__all__ = [
    "fixup_decorator_warning_stack",
    "remove_task_decorator",
]
