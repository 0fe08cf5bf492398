"""Airflow's `airflow.task.priority_strategy`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.priority import PriorityWeightStrategy as PriorityWeightStrategy
from riir_airflow.authoring.priority import _AbsolutePriorityWeightStrategy as _AbsolutePriorityWeightStrategy
from riir_airflow.authoring.priority import _DownstreamPriorityWeightStrategy as _DownstreamPriorityWeightStrategy
from riir_airflow.authoring.priority import _UpstreamPriorityWeightStrategy as _UpstreamPriorityWeightStrategy
from riir_airflow.authoring.priority import (
    get_airflow_priority_weight_strategies as get_airflow_priority_weight_strategies,
)
from riir_airflow.authoring.priority import (
    validate_and_load_priority_weight_strategy as validate_and_load_priority_weight_strategy,
)

__all__ = [
    "PriorityWeightStrategy",
    "_AbsolutePriorityWeightStrategy",
    "_DownstreamPriorityWeightStrategy",
    "_UpstreamPriorityWeightStrategy",
    "get_airflow_priority_weight_strategies",
    "validate_and_load_priority_weight_strategy",
]
