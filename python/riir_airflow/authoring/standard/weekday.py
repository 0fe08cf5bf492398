"""Day-of-week helpers: the WeekDay enum and BranchDayOfWeekOperator."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

import pendulum

from riir_airflow.authoring.branch import BaseBranchOperator


@enum.unique
class WeekDay(enum.IntEnum):
    """ISO weekday numbers (Monday = 1)."""

    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str: str) -> int:
        sanitized = week_day_str.upper()
        if sanitized not in cls.__members__:
            raise AttributeError(f'Invalid Week Day passed: "{week_day_str}"')
        return cls[sanitized]

    @classmethod
    def convert(cls, day: str | WeekDay) -> int:
        if isinstance(day, WeekDay):
            return day
        return cls.get_weekday_number(week_day_str=day)

    @classmethod
    def validate_week_day(cls, week_day: str | WeekDay | Iterable[str] | Iterable[WeekDay]) -> set[int]:
        if isinstance(week_day, str):
            return {cls.get_weekday_number(week_day)}
        if isinstance(week_day, WeekDay):
            return {week_day}
        if isinstance(week_day, Iterable):
            return {cls.convert(d) for d in week_day}
        raise TypeError(
            f"Unsupported Type for week_day parameter: {type(week_day)}."
            "Input should be iterable type:str, set, list, dict or Weekday enum type"
        )


def is_weekday_in(now: Any, week_days: set[int]) -> bool:
    return int(now.isoweekday()) in week_days


class BranchDayOfWeekOperator(BaseBranchOperator):
    """Follows `follow_task_ids_if_true` on the given week day(s)."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        week_day: str | Iterable[str] | WeekDay | Iterable[WeekDay],
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        now = context["logical_date"] if self.use_task_logical_date else pendulum.now("UTC")
        if is_weekday_in(now, self._week_day_num):
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false
