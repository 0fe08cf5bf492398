"""Runtime asset features: `outlet_events[asset].extra`, an event set for an asset that is not an outlet (dropped),
`yield Metadata(...)` (with and without an alias) plus the generator's return value, `outlet_events[alias].add`,
and a downstream task reading the run's events through `inlet_events` (by asset, by index, by alias)."""

import datetime

from airflow.sdk import DAG, Asset, AssetAlias, Metadata, task

A = Asset(name="a", uri="s3://bucket/a", extra={"owner": "x"})
B = Asset("b")
ALIAS = AssetAlias("out-alias")
META_ALIAS = AssetAlias("meta-alias")
VIA_ALIAS = Asset("c-via-alias")
VIA_META = Asset("d-via-meta")


def describe(events):
    return [
        {
            "extra": e.extra,
            "task": e.source_task_id,
            "dag": e.source_dag_id,
            "map_index": e.source_map_index,
            "asset": [e.asset.name, e.asset.uri, e.asset.group],
        }
        for e in events
    ]


with DAG("asset_events_runtime", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):

    @task(outlets=[A])
    def extra_setter(*, outlet_events):
        outlet_events[A].extra = {"rows": 3}
        outlet_events[B].extra = {"not": "an outlet here"}
        return sorted(key.name for key in outlet_events)

    @task(outlets=[B, META_ALIAS])
    def metadata_yielder():
        yield Metadata(B, {"from": "metadata"})
        yield Metadata(VIA_META, {"meta": 1}, alias=META_ALIAS)
        return 5

    @task(outlets=[ALIAS])
    def alias_adder(*, outlet_events):
        outlet_events[ALIAS].add(VIA_ALIAS, extra={"via": "alias"})
        outlet_events[ALIAS].extra = {"ignored": "alias extra"}

    @task(inlets=[A, B, ALIAS, META_ALIAS])
    def reader(*, inlet_events):
        return {
            "a": describe(inlet_events[A]),
            "b": describe(inlet_events[B]),
            "alias": describe(inlet_events[ALIAS]),
            "meta_alias": describe(inlet_events[META_ALIAS]),
            "first_inlet_last_extra": inlet_events[0][-1].extra,
            "count": len(inlet_events),
            "b_by_name": len(inlet_events.for_asset(name="b")),
        }

    [extra_setter(), metadata_yielder(), alias_adder()] >> reader()
