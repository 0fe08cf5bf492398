"""Trigger rules and weight rules, with Airflow's string values."""

from __future__ import annotations

from enum import Enum


class TriggerRule(str, Enum):
    """When a task may run, given the states of its direct upstream tasks."""

    ALL_SUCCESS = "all_success"
    ALL_FAILED = "all_failed"
    ALL_DONE = "all_done"
    ALL_DONE_MIN_ONE_SUCCESS = "all_done_min_one_success"
    ALL_DONE_SETUP_SUCCESS = "all_done_setup_success"
    ONE_SUCCESS = "one_success"
    ONE_FAILED = "one_failed"
    ONE_DONE = "one_done"
    NONE_FAILED = "none_failed"
    NONE_SKIPPED = "none_skipped"
    ALWAYS = "always"
    NONE_FAILED_MIN_ONE_SUCCESS = "none_failed_min_one_success"
    ALL_SKIPPED = "all_skipped"

    @classmethod
    def is_valid(cls, trigger_rule: str) -> bool:
        return trigger_rule in _ALL_TRIGGER_RULES

    @classmethod
    def all_triggers(cls) -> set[str]:
        return set(_ALL_TRIGGER_RULES)

    def __str__(self) -> str:
        return self.value


_ALL_TRIGGER_RULES = frozenset(rule.value for rule in TriggerRule)


class WeightRule(str, Enum):
    """How a task's effective priority weight is computed from its own and its relatives' weights."""

    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"

    @classmethod
    def is_valid(cls, weight_rule: str) -> bool:
        return weight_rule in _ALL_WEIGHT_RULES

    @classmethod
    def all_weight_rules(cls) -> set[str]:
        return set(_ALL_WEIGHT_RULES)

    def __str__(self) -> str:
        return self.value


_ALL_WEIGHT_RULES = frozenset(rule.value for rule in WeightRule)
