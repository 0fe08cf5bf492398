"""Active assets as Airflow 3.3 has them: of two assets sharing a name or a URI the first recorded is active, and a
task with the other one in its inlets or outlets fails before it runs (no retry); `dags test` of a folder records
the folder's DAGs in directory order first. Asset URIs are normalised as Airflow's `_sanitize_uri` does."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pendulum
import pytest

from riir_airflow.dag_processing.loader import DagBag
from riir_airflow.exceptions import AirflowFailException, AirflowInactiveAssetInInletOrOutletException
from riir_airflow.runtime.local import run_dag_locally
from riir_airflow.schedules.asset_activation import ActiveAssets, active_assets_of_folder, directory_order
from riir_airflow.schedules.assets import Asset

PRODUCER = """
from riir_airflow.sdk import DAG, Asset, task

with DAG("producer", schedule=None):
    @task(outlets=[Asset(uri="s3://output/1.txt", name="test-asset")])
    def produce():
        return "made"
    produce()
"""

CONSUMER = """
from riir_airflow.sdk import DAG, Asset, task

with DAG("consumer", schedule=None):
    @task(inlets=[Asset("s3://output/1.txt")], retries=3)
    def consume():
        return "read"
    consume()
"""


def test_first_asset_of_a_name_or_uri_wins() -> None:
    active = ActiveAssets()
    active.activate([("a", "s3://x"), ("b", "s3://x"), ("a", "s3://y"), ("c", "s3://z"), ("a", "s3://x")])
    assert active.active == {("a", "s3://x"), ("c", "s3://z")}
    assert active.inactive([("b", "s3://x"), ("c", "s3://z"), ("a", "s3://y")]) == [("b", "s3://x"), ("a", "s3://y")]


def test_message_names_the_inactive_assets_as_airflow_does() -> None:
    error = AirflowInactiveAssetInInletOrOutletException([("s3://output/1.txt", "s3://output/1.txt")])
    assert isinstance(error, AirflowFailException)  # fails the task without retries
    assert str(error) == (
        "Task has the following inactive assets in its inlets or outlets: "
        "Asset(name='s3://output/1.txt', uri='s3://output/1.txt')"
    )


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "producer.py").write_text(textwrap.dedent(PRODUCER))
    (folder / "consumer.py").write_text(textwrap.dedent(CONSUMER))
    return folder


def test_dags_test_fails_the_task_using_the_asset_recorded_second(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    bag = DagBag(str(folder))
    active = active_assets_of_folder(str(folder), bag.dags.values())
    order = directory_order(str(folder))
    producer_first = order[os.path.realpath(folder / "producer.py")] < order[os.path.realpath(folder / "consumer.py")]
    loser, winner = ("consumer", "producer") if producer_first else ("producer", "consumer")
    date = pendulum.datetime(2024, 3, 5, tz="UTC")
    failed = run_dag_locally(bag.dags[loser], logical_date=date, active_assets=active)
    assert failed.state == "failed"
    assert [(r.task_id, r.state, r.try_number) for r in failed.task_instances()] == [
        ("consume" if loser == "consumer" else "produce", "failed", 1)  # no retry, although retries=3
    ]
    assert run_dag_locally(bag.dags[winner], logical_date=date, active_assets=active).state == "success"
    # A DAG run on its own (dag.test()) has nothing to share its assets with.
    assert run_dag_locally(bag.dags[loser], logical_date=date).state == "success"


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("sc://a1", "sc://a1/"),
        ("SC://a1/path//", "sc://a1/path"),
        ("s3://bucket/key?b=2&a=1#frag", "s3://bucket/key?a=1&b=2"),
        ("x-custom://a1", "x-custom://a1"),  # x- schemes are left alone
        ("not a uri", "not a uri"),
        ("/tmp/plain/path/", "/tmp/plain/path/"),
    ],
)
def test_uri_normalisation_matches_airflow(given: str, normalised: str) -> None:
    assert Asset(uri=given).uri == normalised
    assert Asset(uri=given).name == given  # the name is the URI as given


def test_uri_password_is_dropped_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="should not contain a password"):
        asset = Asset(uri="postgres://user:secret@host:5432/db/schema/table")
    assert asset.uri == "postgres://host:5432/db/schema/table"


def test_reserved_airflow_scheme() -> None:
    with pytest.raises(ValueError, match="Asset scheme 'airflow' is reserved"):
        Asset(uri="airflow://x")
