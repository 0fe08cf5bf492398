"""Airflow's `airflow.utils.dates`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.presets import cron_presets as cron_presets

__all__ = [
    "cron_presets",
]
