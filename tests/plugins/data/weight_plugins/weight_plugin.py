"""A priority weight strategy registered by a plugin (riir_airflow import paths: no alias needed)."""

from __future__ import annotations

from typing import Any

from riir_airflow.plugins_manager import AirflowPlugin
from riir_airflow.task.priority_strategy import PriorityWeightStrategy


class TenPerTry(PriorityWeightStrategy):
    def get_weight(self, ti: Any) -> int:
        return 10 * (ti.try_number + 1)


class WeightPlugin(AirflowPlugin):
    name = "weight_plugin"
    priority_weight_strategies = [TenPerTry]
