"""Which assets are active: Airflow 3.3's rule that active assets have unique names and unique URIs.

When Airflow records the DAGs it parsed, each asset a DAG schedules on or a task has in its inlets or outlets is
activated unless an active asset already has its name or its URI (the first one recorded wins; the other stays
inactive, with a DAG warning). A task with an inactive asset in its inlets or outlets fails before it runs
(`AirflowInactiveAssetInInletOrOutletException`). Under the app the metastore's `asset_active` table holds the
active set (first app to register wins); `dags test` computes it here over the DAGs of the folder it loaded, in the
order Airflow's DAG processor lists the folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from riir_airflow.schedules.assets import Asset

AssetKey = tuple[str, str]  # (name, uri)


def dag_asset_keys(dag: Any) -> Iterator[AssetKey]:
    """The assets `dag` references, in the order Airflow records them: the schedule's assets, then each task's
    inlets and outlets (asset references and aliases are not assets and are left out)."""
    condition = getattr(getattr(dag, "timetable", None), "asset_condition", None)
    if condition is not None:
        for asset in condition.iter_assets():
            yield asset.name, asset.uri
    for task in getattr(dag, "tasks", []):
        for port in [*(getattr(task, "inlets", None) or []), *(getattr(task, "outlets", None) or [])]:
            if isinstance(port, Asset):
                yield port.name, port.uri


def task_asset_keys(task: Any) -> list[AssetKey]:
    """The assets in a task's inlets and outlets, without repeats."""
    ports = [*(getattr(task, "inlets", None) or []), *(getattr(task, "outlets", None) or [])]
    return list(dict.fromkeys((port.name, port.uri) for port in ports if isinstance(port, Asset)))


class ActiveAssets:
    """The active assets of a set of DAGs: an asset is activated unless an active one has its name or its URI."""

    def __init__(self) -> None:
        self.active: set[AssetKey] = set()
        self._uri_of_name: dict[str, str] = {}
        self._name_of_uri: dict[str, str] = {}

    def activate(self, keys: Iterable[AssetKey]) -> None:
        for name, uri in keys:
            if name in self._uri_of_name or uri in self._name_of_uri:
                continue  # already active, or in conflict with an active asset: stays as it is
            self.active.add((name, uri))
            self._uri_of_name[name] = uri
            self._name_of_uri[uri] = name

    def inactive(self, keys: Iterable[AssetKey]) -> list[AssetKey]:
        return [key for key in keys if key not in self.active]

    def activate_dags(self, dags: Iterable[Any]) -> None:
        """Records `dags` in this order."""
        for dag in dags:
            self.activate(dag_asset_keys(dag))

    @classmethod
    def of_dags(cls, dags: Iterable[Any]) -> ActiveAssets:
        """The active set after recording `dags` in this order."""
        found = cls()
        found.activate_dags(dags)
        return found


def directory_order(folder: str) -> dict[str, int]:
    """Position of each file under `folder` in the order Airflow's DAG processor lists it (`os.walk`, unsorted:
    the file system's directory order), which is the order Airflow records the DAGs of a folder."""
    if os.path.isfile(folder):
        return {os.path.realpath(folder): 0}
    order: dict[str, int] = {}
    for root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            order.setdefault(os.path.realpath(os.path.join(root, name)), len(order))
    return order


def in_recording_order(folder: str, dags: Iterable[Any]) -> list[Any]:
    """The DAGs loaded from `folder` in the order Airflow records them: files in directory order, each file's DAGs
    in the order it defines them."""
    order = directory_order(folder)
    loaded = list(dags)
    ranked = sorted(
        range(len(loaded)), key=lambda i: (order.get(os.path.realpath(str(loaded[i].fileloc)), len(order)), i)
    )
    return [loaded[i] for i in ranked]


def active_assets_of_folder(folder: str, dags: Iterable[Any]) -> ActiveAssets:
    """The active set Airflow's `dags test` sees after it records the DAG folder `folder` (whose loaded DAGs are
    `dags`)."""
    return ActiveAssets.of_dags(in_recording_order(folder, dags))
