"""Operator arguments of the wrong type raise Airflow's TypeError at construction, every time: the check remembers
combinations of types that passed (riir_airflow.authoring.baseoperator._check_argument_types), never a value."""

from __future__ import annotations

from typing import Any

import pytest

from riir_airflow.authoring.dag import DAG
from riir_airflow.authoring.standard.bash import BashOperator


class _ClaimsClass:
    """A value whose `__class__` names another class (as proxies do): `isinstance` believes it."""

    def __init__(self, claimed: type) -> None:
        self._claimed = claimed

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return self._claimed


def _bash(**kwargs: Any) -> BashOperator:
    return BashOperator(task_id="t", bash_command="echo", **kwargs)


def test_a_wrong_type_raises_after_right_ones_passed() -> None:
    for n in range(3):
        with DAG(f"fine_{n}"):
            _bash(retries=n, queue="q")
    with (
        DAG("wrong"),
        pytest.raises(TypeError, match="'retries' for task 't' expects <class 'int'>, got <class 'str'>"),
    ):
        _bash(retries="2")


def test_values_are_judged_as_isinstance_judges_them() -> None:
    with DAG("claims_str"):
        _bash(queue=_ClaimsClass(str))  # passes, as under Airflow's isinstance check
    with DAG("claims_int"), pytest.raises(TypeError, match="'queue' for task 't' expects <class 'str'>"):
        _bash(queue=_ClaimsClass(int))
