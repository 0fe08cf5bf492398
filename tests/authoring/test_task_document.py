"""A serialized task's document, built in Rust (`_core.TaskDocuments`): its keys in their order, each value plain
JSON as a round trip through text gives it back, and the values read from the operator."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pendulum
import pytest

from riir_airflow.exceptions import SerializationError
from riir_airflow.providers.standard.operators.bash import BashOperator
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, Asset, TaskGroup
from riir_airflow.serialization.serialized_dag import _TASK_DOCUMENT_KEYS, serialize_dag


def tasks_of(dag: DAG) -> dict[str, dict[str, Any]]:
    return {doc["task_id"]: doc for doc in serialize_dag(dag)["tasks"]}


def build() -> DAG:
    with DAG("docs", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:
        first = BashOperator(
            task_id="first",
            bash_command="echo 1",
            retry_delay=dt.timedelta(minutes=2),
            execution_timeout=dt.timedelta(seconds=90),
            trigger_rule="all_done",
            doc_md="**first**",
            outlets=[Asset("s3://out/first")],
        )
        with TaskGroup("g"):
            inner = EmptyOperator(task_id="inner", priority_weight=3, weight_rule="absolute")
        last = EmptyOperator(task_id="last", end_date=pendulum.datetime(2025, 1, 1, tz="UTC"))
        first >> [inner, last]
        inner >> last
    return dag


def test_every_task_document_has_the_keys_in_order_and_round_trips_through_json() -> None:
    for doc in tasks_of(build()).values():
        assert tuple(doc)[: len(_TASK_DOCUMENT_KEYS)] == _TASK_DOCUMENT_KEYS
        assert json.loads(json.dumps(doc)) == doc
        assert type(doc["trigger_rule"]) is str and type(doc["weight_rule"]) is str  # the enums' plain values


def test_task_document_values_come_from_the_operator() -> None:
    docs = tasks_of(build())
    first, inner, last = docs["first"], docs["g.inner"], docs["last"]
    assert (first["retry_delay"], first["execution_timeout"], first["max_retry_delay"]) == (120.0, 90.0, None)
    assert (first["trigger_rule"], first["doc_md"], first["task_group"]) == ("all_done", "**first**", None)
    assert first["downstream_task_ids"] == ["g.inner", "last"] and first["upstream_task_ids"] == []
    assert first["template_fields"] == list(BashOperator.template_fields)
    assert first["outlets"] == [Asset("s3://out/first").as_expression()] and first["inlets"] == []
    assert first["operator_class"].endswith(".BashOperator") and first["is_sensor"] is False
    assert (inner["label"], inner["task_group"], inner["priority_weight"]) == ("inner", "g", 3)
    assert (inner["weight_rule"], inner["inherits_from_empty_operator"]) == ("absolute", True)
    assert last["upstream_task_ids"] == ["first", "g.inner"]
    assert (last["start_date"], last["end_date"]) == ("2024-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00")


def test_a_value_json_cannot_hold_is_refused_with_its_type() -> None:
    dag = build()
    dag.task_dict["first"].queue = object()  # type: ignore[assignment]
    with pytest.raises(SerializationError, match="cannot serialize value of type object"):
        serialize_dag(dag)
