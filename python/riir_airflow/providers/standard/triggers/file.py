"""Airflow's `airflow.providers.standard.triggers.file`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.triggers import DirectoryFileDeleteTrigger as DirectoryFileDeleteTrigger
from riir_airflow.authoring.standard.triggers import FileDeleteTrigger as FileDeleteTrigger
from riir_airflow.authoring.standard.triggers import FileTrigger as FileTrigger

__all__ = [
    "DirectoryFileDeleteTrigger",
    "FileDeleteTrigger",
    "FileTrigger",
]
