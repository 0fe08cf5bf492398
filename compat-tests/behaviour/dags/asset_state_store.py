"""`asset_state_store`: per-asset key/value state (Airflow 3.3) that tasks with asset inlets/outlets read and write;
a single-asset task may use it directly; values survive across tasks; delete/clear; None is refused; a task without
assets has no `asset_state_store` in its context."""

import datetime

from airflow.sdk import DAG, Asset, task

A = Asset("state-a")
B = Asset(name="state-b", uri="s3://bucket/b")

with DAG("asset_state_store", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):

    @task(outlets=[A])
    def writer(*, asset_state_store):
        asset_state_store.set("watermark", {"n": 3, "tags": ["x"]})
        asset_state_store.set("temp", 1)
        asset_state_store.delete("temp")
        asset_state_store.delete("never-set")
        try:
            asset_state_store.set("bad", None)
        except ValueError as exc:
            return str(exc)

    @task(inlets=[A], outlets=[B])
    def reader(*, asset_state_store):
        first = asset_state_store[A].get("watermark")
        missing = asset_state_store[A].get("temp", "gone")
        asset_state_store[B].set("copied", first)
        try:
            asset_state_store.get("watermark")
        except ValueError as exc:
            ambiguous = str(exc)
        try:
            asset_state_store[Asset("not-mine")]
        except KeyError as exc:
            unknown = str(exc)
        return {"first": first, "missing": missing, "ambiguous": ambiguous, "unknown": unknown}

    @task(inlets=[B])
    def clearer(*, asset_state_store):
        before = asset_state_store.get("copied")
        asset_state_store.clear()
        return [before, asset_state_store.get("copied")]

    @task
    def no_assets(**context):
        return "asset_state_store" in context

    writer() >> reader() >> clearer() >> no_assets()
