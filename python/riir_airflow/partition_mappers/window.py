"""Airflow's `airflow.partition_mappers.window`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import DayWindow as DayWindow
from riir_airflow.schedules.partition_mappers import HourWindow as HourWindow
from riir_airflow.schedules.partition_mappers import MonthWindow as MonthWindow
from riir_airflow.schedules.partition_mappers import QuarterWindow as QuarterWindow
from riir_airflow.schedules.partition_mappers import SegmentWindow as SegmentWindow
from riir_airflow.schedules.partition_mappers import WeekWindow as WeekWindow
from riir_airflow.schedules.partition_mappers import Window as Window
from riir_airflow.schedules.partition_mappers import YearWindow as YearWindow

__all__ = [
    "DayWindow",
    "HourWindow",
    "MonthWindow",
    "QuarterWindow",
    "SegmentWindow",
    "WeekWindow",
    "Window",
    "YearWindow",
]
