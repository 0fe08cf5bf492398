"""BranchDateTimeOperator: branches on whether now (or the logical date) lies within a time window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pendulum

from riir_airflow.authoring.branch import BaseBranchOperator
from riir_airflow.exceptions import AirflowException


def target_times_as_dates(
    base: dt.datetime, lower: dt.datetime | dt.time | None, upper: dt.datetime | dt.time | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Times of day become datetimes on the day of `base`; an upper time before the lower one means the next day."""
    if isinstance(lower, dt.datetime) and isinstance(upper, dt.datetime):
        return lower, upper
    if lower is not None and isinstance(lower, dt.time):
        lower = dt.datetime.combine(base, lower)
    if upper is not None and isinstance(upper, dt.time):
        upper = dt.datetime.combine(base, upper)
    if lower is None or upper is None:
        return lower, upper
    if upper < lower:
        upper += dt.timedelta(days=1)
    return lower, upper


class BranchDateTimeOperator(BaseBranchOperator):
    """Follows `follow_task_ids_if_true` when target_lower <= now <= target_upper, else the other list."""

    def __init__(
        self,
        *,
        follow_task_ids_if_true: str | Iterable[str],
        follow_task_ids_if_false: str | Iterable[str],
        target_lower: dt.datetime | dt.time | None,
        target_upper: dt.datetime | dt.time | None,
        use_task_logical_date: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException(
                "Both target_upper and target_lower are None. At least one must be defined to be compared to the "
                "current date."
            )
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date

    def choose_branch(self, context: Any) -> str | Iterable[str]:
        now = context["logical_date"] if self.use_task_logical_date else pendulum.now("UTC")
        now = now.replace(tzinfo=None) if now.tzinfo is not None else now
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper)
        lower = lower.replace(tzinfo=None) if lower is not None and lower.tzinfo else lower
        upper = upper.replace(tzinfo=None) if upper is not None and upper.tzinfo else upper
        if upper is not None and upper < now:
            return self.follow_task_ids_if_false
        if lower is not None and lower > now:
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true
