"""Test deploys: `[riir] environment` (AIRFLOW__RIIR__ENVIRONMENT, the chart's `environment:` value) namespaces
what an app registers, so a branch's apps run the same DAG files beside production on one metastore without
touching production's runs, XComs, asset events or pools.

With environment "test-x" the app, right after loading its file and before anything is serialized or stored:

- renames each DAG `etl` to `test-x.etl` (runs, task instances, XComs, logs and database roles are keyed by dag id,
  so they are namespaced with it), adds the tag `environment:test-x` (the API filters on it: `GET /api/v2/dags?
  tags=environment:test-x`; the UI shows it) and "(test-x)" to the display name;
- prefixes every asset's name and URI it produces or is scheduled on (`s3://b/k` -> `test-x.s3://b/k`, still a URI
  with its own scheme), asset aliases and asset references, so asset events never cross environments;
- prefixes task pools other than `default_pool` (the chart creates `test-x.<pool>`);
- prefixes the DAG ids of cross-DAG operators (`trigger_dag_id`, `external_dag_id`) that are not templated.

An empty environment (production) changes nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from typing import Any

SEPARATOR = "."
TAG_PREFIX = "environment:"
DEFAULT_POOL = "default_pool"
# Cross-DAG references by dag id, as Airflow's standard operators name them.
DAG_ID_ARGUMENTS = ("trigger_dag_id", "external_dag_id")
# The chart's rule for environment names: a Kubernetes name fragment, so also a valid dag-id prefix.
VALID = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def configured_environment() -> str:
    from riir_airflow.config import conf

    value = (conf.get("riir", "environment", fallback="") or "").strip()
    if value and not VALID.match(value):
        raise ValueError(
            f"[riir] environment {value!r} is not valid: use lowercase letters, digits and '-' (e.g. test-feature-x)"
        )
    return value


def namespaced(environment: str, name: str) -> str:
    if not environment or name.startswith(environment + SEPARATOR):
        return name
    return f"{environment}{SEPARATOR}{name}"


def apply_environment(dags: dict[str, Any], environment: str) -> dict[str, Any]:
    """Namespaces the loaded DAGs in place; returns them keyed by their new ids."""
    if not environment:
        return dags
    seen: set[int] = set()
    renamed = {}
    for dag in dags.values():
        dag.dag_id = namespaced(environment, dag.dag_id)
        dag.tags.add(TAG_PREFIX + environment)
        dag.dag_display_name = f"{dag.dag_display_name} ({environment})"
        condition = getattr(dag.timetable, "asset_condition", None)
        if condition is not None:
            _namespace_assets(_assets_in(condition), environment, seen)
        for task in dag.tasks:
            _namespace_task(task, environment, seen)
        renamed[dag.dag_id] = dag
    return renamed


def _namespace_task(task: Any, environment: str, seen: set[int]) -> None:
    partial = getattr(task, "partial_kwargs", None)
    arguments: dict[str, Any] = partial if isinstance(partial, dict) else task.__dict__
    pool = arguments.get("pool")
    if isinstance(pool, str) and pool != DEFAULT_POOL:
        arguments["pool"] = namespaced(environment, pool)
    for key in DAG_ID_ARGUMENTS:
        value = arguments.get(key)
        if isinstance(value, str) and "{{" not in value:
            arguments[key] = namespaced(environment, value)
    for attribute in ("outlets", "inlets"):
        assets = getattr(task, attribute, None) or arguments.get(attribute) or []
        _namespace_assets(_assets_in(assets), environment, seen)


def _assets_in(value: Any) -> Iterator[Any]:
    """Every asset-like object in a condition, a list of outlets or a single asset."""
    from riir_airflow.schedules.assets import AssetBooleanCondition, BaseAsset

    if isinstance(value, AssetBooleanCondition):
        for item in value.objects:
            yield from _assets_in(item)
    elif isinstance(value, BaseAsset):  # Asset, AssetAlias, AssetRef
        yield value
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _assets_in(item)


def _namespace_assets(assets: Iterable[Any], environment: str, seen: set[int]) -> None:
    from riir_airflow.schedules.assets import Asset

    for asset in assets:
        if id(asset) in seen:  # one object can be an outlet of one task and the schedule of another DAG
            continue
        seen.add(id(asset))
        if isinstance(asset, Asset):
            asset.name = namespaced(environment, asset.name)
            asset.uri = namespaced(environment, asset.uri)
        elif dataclasses.is_dataclass(asset):
            # AssetAlias(name), AssetNameRef(name), AssetUriRef(uri): frozen dataclasses, rewritten once here.
            for attribute in ("name", "uri"):
                if isinstance(getattr(asset, attribute, None), str):
                    object.__setattr__(asset, attribute, namespaced(environment, getattr(asset, attribute)))
