"""The list endpoints write their JSON straight from their handlers' dicts (broker/json_body.py), not through the
route's response model: each body must be exactly what the model would have written (its fields, their order, their
values' types and formats). A body that lacked a field, had an extra one, a field out of order or a value of another
type (an int where the model has a float, ...) comes back different from the model's round trip."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from pydantic import BaseModel

from riir_airflow.broker.schemas import (
    DAGCollectionResponse,
    DAGRunCollectionResponse,
    EventLogCollectionResponse,
    TaskInstanceCollectionResponse,
    XComCollectionResponse,
)
from tests.broker.conftest import Broker
from tests.broker.seed import DAG_ID, RUN_ID

pytestmark = pytest.mark.postgres

RUN = quote(RUN_ID, safe="")
LISTINGS: list[tuple[str, type[BaseModel], str]] = [
    ("/api/v2/dags", DAGCollectionResponse, "dags"),
    ("/api/v2/dags?paused=true&order_by=-dag_id", DAGCollectionResponse, "dags"),
    ("/api/v2/dags/~/dagRuns", DAGRunCollectionResponse, "dag_runs"),
    (f"/api/v2/dags/{DAG_ID}/dagRuns?order_by=-logical_date", DAGRunCollectionResponse, "dag_runs"),
    ("/api/v2/dags/~/dagRuns/~/taskInstances", TaskInstanceCollectionResponse, "task_instances"),
    (f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN}/taskInstances", TaskInstanceCollectionResponse, "task_instances"),
    ("/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries", XComCollectionResponse, "xcom_entries"),
    (f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN}/taskInstances/~/xcomEntries", XComCollectionResponse, "xcom_entries"),
    ("/api/v2/eventLogs?order_by=-when", EventLogCollectionResponse, "event_logs"),
]


@pytest.mark.parametrize(("path", "model", "items"), LISTINGS, ids=[path for path, _, _ in LISTINGS])
def test_list_body_is_the_models_json(broker: Broker, path: str, model: type[BaseModel], items: str) -> None:
    with broker.client("viewer") as client:
        response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()[items], f"{path}: the seeded metastore should list something here"
    # What FastAPI writes for a route's response model: validated, then dumped by alias.
    assert response.text == model.model_validate_json(response.content).model_dump_json(by_alias=True)


def test_listed_dag_is_the_dags_own_body(broker: Broker) -> None:
    """The DAG list reads of each DAG's latest version only its bundle and timetable type, in the page's statement;
    GET /dags/{dag_id} reads the whole version: both must show a DAG alike (timetable traits, bundle, tags...)."""
    with broker.client("viewer") as client:
        listed = client.get("/api/v2/dags", params={"limit": 100}).json()["dags"]
        assert any(item["timetable_periodic"] and item["bundle_name"] for item in listed), listed
        for item in listed:
            assert item == client.get(f"/api/v2/dags/{quote(item['dag_id'], safe='')}").json()


@pytest.mark.parametrize("dag_id", ["~", DAG_ID])
def test_listed_run_is_the_runs_own_body(broker: Broker, dag_id: str) -> None:
    """Runs of all DAGs are listed with their versions and DAG names joined to the page's statement, one DAG's runs
    with its version read apart, GET /dags/{dag_id}/dagRuns/{run_id} reads a run's record: all show a run alike."""
    with broker.client("viewer") as client:
        listed = client.get(f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 100}).json()["dag_runs"]
        assert any(item["dag_versions"] for item in listed), listed
        batch = client.post("/api/v2/dags/~/dagRuns/list", json={"page_limit": 100}).json()["dag_runs"]
        for item in listed:
            own = client.get(
                f"/api/v2/dags/{quote(item['dag_id'], safe='')}/dagRuns/{quote(item['dag_run_id'], safe='')}"
            )
            assert item == own.json()
            assert item in batch


@pytest.mark.parametrize("run_path", ["~/dagRuns/~", f"{DAG_ID}/dagRuns/{RUN}"])
def test_listed_task_instance_is_its_own_body(broker: Broker, run_path: str) -> None:
    """A task instance listed (its row, the page's versions, its run read apart or given) shows as its own GET."""
    with broker.client("viewer") as client:
        listed = client.get(f"/api/v2/dags/{run_path}/taskInstances", params={"limit": 100}).json()["task_instances"]
        assert any(item["dag_version"] for item in listed), listed
        for item in listed:
            dag, run, task = (quote(str(item[key]), safe="") for key in ("dag_id", "dag_run_id", "task_id"))
            path = f"/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}"
            own = client.get(path if item["map_index"] < 0 else f"{path}/{item['map_index']}")
            assert item == own.json()


PAST_THE_END = ["/api/v2/dags", "/api/v2/dags/~/dagRuns", f"/api/v2/dags/{DAG_ID}/dagRuns",
                "/api/v2/dags/~/dagRuns/~/taskInstances", f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN}/taskInstances",
                "/api/v2/dags/~/dagRuns/~/taskInstances/~/xcomEntries",
                f"/api/v2/dags/{DAG_ID}/dagRuns/{RUN}/taskInstances/~/xcomEntries", "/api/v2/eventLogs"]  # fmt: skip


@pytest.mark.parametrize("path", PAST_THE_END)
def test_a_page_past_the_last_row_still_counts_the_rows(broker: Broker, path: str) -> None:
    """A list's total comes with its page's rows (one statement); a page with no row counts the rows apart."""
    with broker.client("viewer") as client:
        first = client.get(path).json()
        past = client.get(path, params={"offset": 100_000}).json()
    items = next(key for key, value in first.items() if isinstance(value, list))
    assert first["total_entries"] > 0
    assert past[items] == []
    assert past["total_entries"] == first["total_entries"]


@pytest.mark.parametrize("run_path", ["~/dagRuns/~", f"{DAG_ID}/dagRuns/{RUN}"])
def test_listed_xcom_is_its_own_entry(broker: Broker, run_path: str) -> None:
    """An XCom listed (its run's dates and DAG name joined per row, or once for one run's page) shows as its own GET,
    less the value the listing leaves out."""
    with broker.client("viewer") as client:
        listed = client.get(f"/api/v2/dags/{run_path}/taskInstances/~/xcomEntries").json()["xcom_entries"]
        assert listed
        for item in listed:
            dag, run, task, key = (quote(str(item[k]), safe="") for k in ("dag_id", "run_id", "task_id", "key"))
            own = client.get(f"/api/v2/dags/{dag}/dagRuns/{run}/taskInstances/{task}/xcomEntries/{key}",
                             params={"map_index": item["map_index"]}).json()  # fmt: skip
            assert item["logical_date"] is not None
            assert item == {k: v for k, v in own.items() if k != "value"}


def test_listings_of_a_missing_dag_or_run_are_404_and_of_an_empty_one_empty(broker: Broker) -> None:
    """One DAG's runs and one run's task instances and XCom are read in the page's statement first: an empty page is
    a 404 only when the DAG or the run does not exist."""
    with broker.client("viewer") as client:
        for path in ("/api/v2/dags/nope/dagRuns", "/api/v2/dags/nope/dagRuns/~/taskInstances",
                     f"/api/v2/dags/{DAG_ID}/dagRuns/nope/taskInstances"):  # fmt: skip
            assert client.get(path).status_code == 404, path
        assert client.get(f"/api/v2/dags/{DAG_ID}/dagRuns", params={"state": "queued"}).json() == {
            "dag_runs": [], "total_entries": 0, "total_entries_limit": None, "next_cursor": None,
            "previous_cursor": None,
        }  # fmt: skip
        empty = client.get("/api/v2/dags/nope/dagRuns/nope/taskInstances/~/xcomEntries")
        assert empty.json() == {"xcom_entries": [], "total_entries": 0}  # Airflow's XCom listing has no 404
