"""Priority weights: clamped to a 32-bit signed column, and computed by a priority weight strategy."""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from typing import Any

from riir_airflow.authoring.baseoperator import DB_SAFE_MAXIMUM, DB_SAFE_MINIMUM


def db_safe_priority(priority_weight: int) -> int:
    return max(DB_SAFE_MINIMUM, min(DB_SAFE_MAXIMUM, priority_weight))


class PriorityWeightStrategy(ABC):
    """How a task instance's priority weight is computed (Airflow's interface; `weight_rule=` takes an instance or
    the import path of a subclass registered by a plugin's `priority_weight_strategies`). Strategies are stateless:
    two instances of one class are equal."""

    @abstractmethod
    def get_weight(self, ti: Any) -> int:
        """The priority weight of `ti` (it has `.task` and `.try_number`)."""
        raise NotImplementedError("must be implemented by a subclass")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self))

    def __hash__(self) -> int:
        return hash(None)


class _AbsolutePriorityWeightStrategy(PriorityWeightStrategy):
    def get_weight(self, ti: Any) -> int:
        return int(ti.task.priority_weight)


class _DownstreamPriorityWeightStrategy(PriorityWeightStrategy):
    def get_weight(self, ti: Any) -> int:
        dag = ti.task.dag
        if dag is None:
            return int(ti.task.priority_weight)
        relatives = ti.task.get_flat_relative_ids(upstream=False)
        return int(ti.task.priority_weight + sum(dag.task_dict[t].priority_weight for t in relatives))


class _UpstreamPriorityWeightStrategy(PriorityWeightStrategy):
    def get_weight(self, ti: Any) -> int:
        dag = ti.task.dag
        if dag is None:
            return int(ti.task.priority_weight)
        relatives = ti.task.get_flat_relative_ids(upstream=True)
        return int(ti.task.priority_weight + sum(dag.task_dict[t].priority_weight for t in relatives))


@functools.cache
def get_airflow_priority_weight_strategies() -> dict[str, type[PriorityWeightStrategy]]:
    """The built-in strategies by Airflow's qualified name and by weight rule."""
    from riir_airflow.authoring.trigger_rule import WeightRule

    path = "airflow.task.priority_strategy."
    return {
        f"{path}_AbsolutePriorityWeightStrategy": _AbsolutePriorityWeightStrategy,
        f"{path}_DownstreamPriorityWeightStrategy": _DownstreamPriorityWeightStrategy,
        f"{path}_UpstreamPriorityWeightStrategy": _UpstreamPriorityWeightStrategy,
        WeightRule.ABSOLUTE.value: _AbsolutePriorityWeightStrategy,
        WeightRule.DOWNSTREAM.value: _DownstreamPriorityWeightStrategy,
        WeightRule.UPSTREAM.value: _UpstreamPriorityWeightStrategy,
    }


def validate_and_load_priority_weight_strategy(strategy: str | PriorityWeightStrategy | None) -> PriorityWeightStrategy:
    """The strategy a `weight_rule` names: a built-in one, or a class registered by a plugin (by qualified name).
    An unregistered custom strategy is refused with Airflow's message."""
    if strategy is None:
        return _AbsolutePriorityWeightStrategy()
    if isinstance(strategy, str):
        builtin = get_airflow_priority_weight_strategies().get(strategy)
        if builtin is not None:
            return builtin()
        name = strategy
    else:
        builtin = get_airflow_priority_weight_strategies().get(getattr(strategy, "value", ""))
        if builtin is not None:  # a WeightRule member
            return builtin()
        name = f"{type(strategy).__module__}.{type(strategy).__qualname__}"
    from riir_airflow.plugins.manager import registered_priority_weight_strategies

    registered = registered_priority_weight_strategies().get(name)
    if registered is None:
        raise ValueError(f"Unknown priority strategy {name}")
    return registered()  # type: ignore[no-any-return]
