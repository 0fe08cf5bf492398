"""A priority weight strategy registered by a plugin (Airflow's `priority_weight_strategies`): a root's weight is
ten times the digit in its task id, so r4 goes first and r1 last in a one-slot pool."""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin
from airflow.task.priority_strategy import PriorityWeightStrategy


class DigitTimesTen(PriorityWeightStrategy):
    def get_weight(self, ti: Any) -> int:
        digits = [c for c in ti.task_id if c.isdigit()]
        return 10 * int(digits[0]) if digits else 0


class ScWeightPlugin(AirflowPlugin):
    name = "sc_weight_plugin"
    priority_weight_strategies = [DigitTimesTen]
