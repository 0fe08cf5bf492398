"""Malformed requests get Airflow-shaped 4xx answers, never a 500; operations Airflow lacks answer 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.broker.conftest import Broker
from tests.broker.seed import DAG_ID, RUN_ID

pytestmark = pytest.mark.postgres


def test_errors_are_airflow_shaped(broker: Broker) -> None:
    with broker.client() as client:
        missing = client.get("/api/v2/dags/nope")
        assert (missing.status_code, missing.json()) == (404, {"detail": "Dag with id nope was not found"})
        run = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/nope")
        assert run.json()["detail"] == f"The DagRun with dag_id: `{DAG_ID}` and run_id: `nope` was not found"
        malformed = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", content=b"{not json",
                                headers={"content-type": "application/json"})  # fmt: skip
        assert malformed.status_code == 422 and malformed.json()["detail"][0]["type"] == "json_invalid"
        wrong_type = client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": "maybe"})
        assert wrong_type.status_code == 422 and wrong_type.json()["detail"][0]["loc"] == ["body", "is_paused"]
        extra = client.post(f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "bogus": 1})
        assert extra.status_code == 422 and extra.json()["detail"][0]["type"] == "extra_forbidden"
        paging = client.get("/api/v2/dags", params={"limit": -1})
        assert paging.status_code == 422
        order = client.get("/api/v2/dags", params={"order_by": "nonsense"})
        assert order.status_code == 400 and "nonsense" in order.json()["detail"]
        assert client.get("/api/v2/dags", params={"limit": 1000}).status_code == 200  # clamped to 100


def test_body_size_limit(broker: Broker) -> None:
    with broker.client() as client:
        big = client.post("/api/v2/variables", json={"key": "big", "value": "x" * (11 * 1024 * 1024)})
        assert big.status_code == 413 and "exceeds" in big.json()["detail"]
        assert client.get("/api/v2/variables/big").status_code == 404  # nothing half-written

        def chunks(count: int, size: int) -> Iterator[bytes]:
            yield b'{"key": "chunked", "value": "'
            for _ in range(count):
                yield b"x" * size
            yield b'"}'

        # Without Content-Length (chunked) the body is counted as it arrives.
        headers = {"content-type": "application/json"}
        assert client.post("/api/v2/variables", content=chunks(12, 1024 * 1024), headers=headers).status_code == 413
        assert client.post("/api/v2/variables", content=chunks(2, 10), headers=headers).status_code == 201


def test_every_airflow_operation_is_served(broker: Broker) -> None:
    from riir_airflow.broker.routers.unsupported import UNSUPPORTED

    assert UNSUPPORTED == []  # Airflow 3.3.2's whole public REST API (tests/broker/test_rest_surface.py)
    with broker.client() as client:
        assert client.get("/api/v2/dagWarnings").status_code == 200
        assert client.get("/api/v1/dags").status_code == 404
        assert client.get("/api/v2/no/such/thing").status_code == 404


def test_patch_states_and_clear(broker: Broker) -> None:
    with broker.client() as client:
        base = f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN_ID}"
        patched = client.patch(f"{base}/taskInstances/load", json={"new_state": "failed"})
        assert patched.status_code == 200 and patched.json()["task_instances"][0]["state"] == "failed"
        dry = client.post(f"/api/v2/dags/{DAG_ID}/clearTaskInstances", json={"dag_run_id": RUN_ID, "dry_run": True})
        assert [t["task_id"] for t in dry.json()["task_instances"]] == ["load"]
        done = client.post(f"/api/v2/dags/{DAG_ID}/clearTaskInstances", json={"dag_run_id": RUN_ID, "dry_run": False})
        assert done.json()["task_instances"][0]["state"] is None
        assert client.get(base).json()["state"] == "queued"
        marked = client.patch(base, json={"state": "success"})
        assert marked.json()["state"] == "success"
        assert client.get(f"{base}/taskInstances/load").json()["state"] == "success"


def test_task_instance_list_of_a_missing_dag_or_run_is_404(broker: Broker) -> None:
    """The listing reads its DAG and run in one statement; each missing one still answers its own 404."""
    with broker.client() as client:
        no_dag = client.get("/api/v2/dags/nope/dagRuns/nope/taskInstances")
        assert (no_dag.status_code, no_dag.json()) == (404, {"detail": "Dag with id nope was not found"})
        no_run = client.get(f"/api/v2/dags/{DAG_ID}/dagRuns/nope/taskInstances")
        assert no_run.status_code == 404
        assert no_run.json()["detail"] == f"The DagRun with dag_id: `{DAG_ID}` and run_id: `nope` was not found"
        any_run = client.get("/api/v2/dags/nope/dagRuns/~/taskInstances")
        assert (any_run.status_code, any_run.json()) == (404, {"detail": "Dag with id nope was not found"})
