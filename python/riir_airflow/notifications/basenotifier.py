"""Airflow's `airflow.notifications.basenotifier`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.notifier import BaseNotifier as BaseNotifier

__all__ = [
    "BaseNotifier",
]
