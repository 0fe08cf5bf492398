"""Airflow's `airflow.utils.dates`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.schedule_presets import cron_presets as cron_presets

__all__ = [
    "cron_presets",
]
