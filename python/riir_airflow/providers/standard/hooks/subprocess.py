"""Airflow's `airflow.providers.standard.hooks.subprocess`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.hooks import SubprocessHook as SubprocessHook
from riir_airflow.authoring.standard.hooks import SubprocessResult as SubprocessResult
from riir_airflow.authoring.standard.hooks import working_directory as working_directory

__all__ = [
    "SubprocessHook",
    "SubprocessResult",
    "working_directory",
]
