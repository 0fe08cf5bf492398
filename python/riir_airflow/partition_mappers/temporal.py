"""Airflow's `airflow.partition_mappers.temporal`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import FanOutMapper as FanOutMapper
from riir_airflow.schedules.partition_mappers import StartOfDayMapper as StartOfDayMapper
from riir_airflow.schedules.partition_mappers import StartOfHourMapper as StartOfHourMapper
from riir_airflow.schedules.partition_mappers import StartOfMonthMapper as StartOfMonthMapper
from riir_airflow.schedules.partition_mappers import StartOfQuarterMapper as StartOfQuarterMapper
from riir_airflow.schedules.partition_mappers import StartOfWeekMapper as StartOfWeekMapper
from riir_airflow.schedules.partition_mappers import StartOfYearMapper as StartOfYearMapper

__all__ = [
    "FanOutMapper",
    "StartOfDayMapper",
    "StartOfHourMapper",
    "StartOfMonthMapper",
    "StartOfQuarterMapper",
    "StartOfWeekMapper",
    "StartOfYearMapper",
]
