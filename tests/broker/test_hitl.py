"""Human-in-the-loop under the app: a HITL task parks in `awaiting_input`, a person answers through the broker's
REST API with the official Airflow client, and the task resumes (branching, approving, entering params); a response
timeout with defaults answers by itself, one without defaults fails the task."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
from airflow_client.client import ApiClient
from airflow_client.client.api.task_instance_api import TaskInstanceApi
from airflow_client.client.exceptions import ApiException
from airflow_client.client.models import UpdateHITLDetailPayload

from tests.app.harness import cli
from tests.broker.broker_with_app import broker_with_app

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(150)]

HITL_DAG = """
    import datetime
    from airflow.sdk import DAG, Param
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.hitl import (
        ApprovalOperator, HITLBranchOperator, HITLEntryOperator, HITLOperator,
    )

    with DAG("hitl_dag", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
        choose = HITLBranchOperator(
            task_id="choose", subject="Which way on {{ ds }}?", options=["Left", "Right"],
            options_mapping={"Left": "left", "Right": "right"},
        )
        choose >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]
        approve = ApprovalOperator(task_id="approve", subject="Ship it?")
        approve >> EmptyOperator(task_id="shipped")
        HITLEntryOperator(
            task_id="entry", subject="Numbers", body="Enter **n**",
            params={"n": Param(1, type="integer")},
        )
        HITLOperator(
            task_id="defaults_on_timeout", subject="Quick", options=["A", "B"], defaults=["B"],
            response_timeout=datetime.timedelta(seconds=2),
        )
        HITLOperator(task_id="times_out", subject="Nobody", options=["A"],
                     response_timeout=datetime.timedelta(seconds=2))
"""


def test_a_person_answers_through_the_api_and_the_task_resumes(pg_dsn: str, tmp_path: Path) -> None:
    with broker_with_app(pg_dsn, tmp_path, "hitl_dag.py", HITL_DAG, "hitl_dag") as running:
        api = running.api
        tis = TaskInstanceApi(api)
        cli(running.env, "dags", "trigger", "hitl_dag", "-r", "run1", "-l", "2024-03-05T00:00:00+00:00")

        def waiting() -> set[str]:
            found = tis.get_task_instances("hitl_dag", "run1", state=["awaiting_input"]).task_instances
            return {t.task_id for t in found}

        running.wait("three tasks awaiting input", lambda: {"choose", "approve", "entry"} <= waiting())
        detail = tis.get_hitl_detail("hitl_dag", "run1", "choose", -1)
        assert (detail.subject, detail.options, detail.response_received) == (
            "Which way on 2024-03-05?",
            ["Left", "Right"],
            False,
        )
        assert detail.task_instance.state.value == "awaiting_input"
        listed = tis.get_hitl_details("hitl_dag", "run1", response_received=False)
        assert {d.task_instance.task_id for d in listed.hitl_details} >= {"choose", "approve", "entry"}

        # Bad answers are refused and change nothing.
        with pytest.raises(ApiException) as bad:
            tis.update_hitl_detail("hitl_dag", "run1", "choose", -1, UpdateHITLDetailPayload(
                chosen_options=["Up"]))  # fmt: skip
        assert bad.value.status == 400 and "Invalid options ['Up']" in str(bad.value.body)
        with pytest.raises(ApiException) as two:
            tis.update_hitl_detail("hitl_dag", "run1", "choose", -1, UpdateHITLDetailPayload(
                chosen_options=["Left", "Right"]))  # fmt: skip
        assert two.value.status == 400

        answer = tis.update_hitl_detail(
            "hitl_dag", "run1", "choose", -1, UpdateHITLDetailPayload(chosen_options=["Right"])
        )
        assert answer.chosen_options == ["Right"] and answer.responded_by.name == "user"
        with pytest.raises(ApiException) as again:
            tis.update_hitl_detail("hitl_dag", "run1", "choose", -1, UpdateHITLDetailPayload(
                chosen_options=["Left"]))  # fmt: skip
        assert again.value.status == 409
        tis.update_hitl_detail("hitl_dag", "run1", "approve", -1, UpdateHITLDetailPayload(
            chosen_options=["Reject"]))  # fmt: skip
        tis.update_hitl_detail("hitl_dag", "run1", "entry", -1, UpdateHITLDetailPayload(
            chosen_options=["OK"], params_input={"n": 7}))  # fmt: skip

        assert running.run_to_finish("hitl_dag", "run1") == "failed"  # times_out fails
        states = {t.task_id: (t.state.value, t.try_number)
                  for t in tis.get_task_instances("hitl_dag", "run1").task_instances}  # fmt: skip
        assert states == {
            "choose": ("success", 1), "left": ("skipped", 0), "right": ("success", 1),
            "approve": ("success", 1), "shipped": ("skipped", 0), "entry": ("success", 1),
            "defaults_on_timeout": ("success", 1), "times_out": ("failed", 1),
        }  # fmt: skip
        entry = _xcom(tis, api, "entry")
        assert entry["chosen_options"] == ["OK"] and entry["params_input"] == {"n": 7}
        assert entry["responded_by_user"] == {"id": "user", "name": "user"}
        timed = tis.get_hitl_detail("hitl_dag", "run1", "defaults_on_timeout", -1)
        assert timed.chosen_options == ["B"] and timed.responded_by_user is None and timed.response_received
        assert _xcom(tis, api, "defaults_on_timeout")["chosen_options"] == ["B"]
        assert "HITLTimeoutError" in running.app.output() or _log_has(tis, "times_out", "HITLTimeoutError")


def _xcom(tis: TaskInstanceApi, api: ApiClient, task_id: str) -> Any:
    from airflow_client.client.api.x_com_api import XComApi

    value = XComApi(api).get_xcom_entry("hitl_dag", task_id, "run1", "return_value").actual_instance.value
    return json.loads(json.dumps(value, default=str))


def _log_has(tis: TaskInstanceApi, task_id: str, text: str) -> bool:
    log = tis.get_log("hitl_dag", "run1", task_id, 1)
    return any(text in item.event for item in log.content.actual_instance)


def test_responded_at_round_trips_as_a_datetime() -> None:
    from riir_airflow.authoring.standard.hitl import _as_datetime

    parsed = _as_datetime("2024-03-05T10:00:00+00:00")
    assert parsed == datetime.datetime(2024, 3, 5, 10, tzinfo=datetime.UTC)
