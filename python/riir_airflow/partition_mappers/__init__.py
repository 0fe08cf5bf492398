"""Airflow's `airflow.partition_mappers`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import AllowedKeyMapper as AllowedKeyMapper
from riir_airflow.schedules.partition_mappers import ChainMapper as ChainMapper
from riir_airflow.schedules.partition_mappers import DayWindow as DayWindow
from riir_airflow.schedules.partition_mappers import FanOutMapper as FanOutMapper
from riir_airflow.schedules.partition_mappers import FixedKeyMapper as FixedKeyMapper
from riir_airflow.schedules.partition_mappers import HourWindow as HourWindow
from riir_airflow.schedules.partition_mappers import IdentityMapper as IdentityMapper
from riir_airflow.schedules.partition_mappers import MinimumCount as MinimumCount
from riir_airflow.schedules.partition_mappers import MonthWindow as MonthWindow
from riir_airflow.schedules.partition_mappers import PartitionMapper as PartitionMapper
from riir_airflow.schedules.partition_mappers import ProductMapper as ProductMapper
from riir_airflow.schedules.partition_mappers import QuarterWindow as QuarterWindow
from riir_airflow.schedules.partition_mappers import RollupMapper as RollupMapper
from riir_airflow.schedules.partition_mappers import SegmentWindow as SegmentWindow
from riir_airflow.schedules.partition_mappers import StartOfDayMapper as StartOfDayMapper
from riir_airflow.schedules.partition_mappers import StartOfHourMapper as StartOfHourMapper
from riir_airflow.schedules.partition_mappers import StartOfMonthMapper as StartOfMonthMapper
from riir_airflow.schedules.partition_mappers import StartOfQuarterMapper as StartOfQuarterMapper
from riir_airflow.schedules.partition_mappers import StartOfWeekMapper as StartOfWeekMapper
from riir_airflow.schedules.partition_mappers import StartOfYearMapper as StartOfYearMapper
from riir_airflow.schedules.partition_mappers import WaitForAll as WaitForAll
from riir_airflow.schedules.partition_mappers import WeekWindow as WeekWindow
from riir_airflow.schedules.partition_mappers import Window as Window
from riir_airflow.schedules.partition_mappers import YearWindow as YearWindow

__all__ = [
    "AllowedKeyMapper",
    "ChainMapper",
    "DayWindow",
    "FanOutMapper",
    "FixedKeyMapper",
    "HourWindow",
    "IdentityMapper",
    "MinimumCount",
    "MonthWindow",
    "PartitionMapper",
    "ProductMapper",
    "QuarterWindow",
    "RollupMapper",
    "SegmentWindow",
    "StartOfDayMapper",
    "StartOfHourMapper",
    "StartOfMonthMapper",
    "StartOfQuarterMapper",
    "StartOfWeekMapper",
    "StartOfYearMapper",
    "WaitForAll",
    "WeekWindow",
    "Window",
    "YearWindow",
]
