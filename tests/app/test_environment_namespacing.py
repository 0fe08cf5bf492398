"""What `[riir] environment` renames in a loaded DAG file (app/environment.py), checked on real DAG objects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from riir_airflow.app.environment import apply_environment, configured_environment, namespaced
from riir_airflow.dag_processing.loader import DagBag

SOURCE = """
    from riir_airflow.sdk import DAG, Asset, AssetAlias, task
    from riir_airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator

    orders = Asset("s3://shop/orders")

    with DAG("shop", schedule=None, tags=["shop"]):
        @task(pool="warehouse", outlets=[orders, AssetAlias("daily")])
        def produce():
            return 1

        @task(pool="default_pool")
        def plain():
            return 2

        @task(pool="warehouse")
        def each(x):
            return x

        produce() >> plain()
        each.expand(x=[1, 2])
        TriggerDagRunOperator(task_id="next", trigger_dag_id="report")
        TriggerDagRunOperator(task_id="templated", trigger_dag_id="{{ params.target }}")

    with DAG("report", schedule=orders | Asset("s3://shop/refunds")):
        @task
        def report():
            return 3

        report()
"""


@pytest.fixture
def bag(tmp_path: Path) -> DagBag:
    path = tmp_path / "shop.py"
    path.write_text(textwrap.dedent(SOURCE))
    loaded = DagBag(str(path))
    assert not loaded.import_errors, loaded.import_errors
    return loaded


def test_environment_namespaces_ids_tags_pools_assets_and_cross_dag_references(bag: DagBag) -> None:
    dags = apply_environment(bag.dags, "test-x")
    assert sorted(dags) == ["test-x.report", "test-x.shop"]
    shop = dags["test-x.shop"]
    assert shop.tags == {"shop", "environment:test-x"}
    assert shop.dag_display_name == "shop (test-x)"
    tasks = {t.task_id: t for t in shop.tasks}
    assert tasks["produce"].dag_id == "test-x.shop"
    assert tasks["produce"].pool == "test-x.warehouse"
    assert tasks["plain"].pool == "default_pool"  # the shared default pool exists everywhere
    assert tasks["each"].partial_kwargs["pool"] == "test-x.warehouse"  # mapped tasks too
    assert tasks["next"].trigger_dag_id == "test-x.report"
    assert tasks["templated"].trigger_dag_id == "{{ params.target }}"  # resolved at run time: left alone
    outlet, alias = tasks["produce"].outlets
    assert (outlet.name, outlet.uri) == ("test-x.s3://shop/orders", "test-x.s3://shop/orders")
    assert alias.name == "test-x.daily"
    # The shared Asset object is renamed once although the producer and the consumer's schedule both hold it.
    condition = dags["test-x.report"].timetable.asset_condition
    assert sorted(a.uri for a in condition.iter_assets()) == ["test-x.s3://shop/orders", "test-x.s3://shop/refunds"]


def test_production_changes_nothing(bag: DagBag) -> None:
    dags = apply_environment(bag.dags, "")
    assert sorted(dags) == ["report", "shop"]
    assert dags["shop"].tags == {"shop"}


def test_names_are_prefixed_once_and_bad_environments_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert namespaced("test-x", "test-x.shop") == "test-x.shop"
    assert namespaced("", "shop") == "shop"
    monkeypatch.setenv("AIRFLOW__RIIR__ENVIRONMENT", "Feature_X")
    with pytest.raises(ValueError, match=r"\[riir\] environment 'Feature_X' is not valid"):
        configured_environment()
