"""Asset events inside a task: `outlet_events` (what the task emits), `inlet_events` (what it reads), and which
events a successful try registers.

As in Airflow 3.3: `outlet_events[asset].extra` sets the extra of the event the try emits for that outlet;
`outlet_events[alias].add(asset, extra=...)` emits an event for an asset decided at run time through an alias
outlet; a generator task may `yield Metadata(asset, extra, alias=...)` to do the same. On success, one event is
registered per `Asset` outlet (and per asset reference outlet that resolves), with the extra set for it (or none),
and one per distinct (asset, extra) added through an alias the task has as outlet. Events for assets that are not
outlets are dropped. `inlet_events[asset]` lists the events recorded for an inlet, oldest first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from riir_airflow.schedules.assets import (
    Asset,
    AssetAlias,
    AssetAliasEvent,
    AssetAliasUniqueKey,
    AssetNameRef,
    AssetRef,
    AssetUniqueKey,
    AssetUriRef,
    Metadata,
)

log = logging.getLogger("airflow.task")

# Finds a declared asset by name or URI (what Airflow asks its API server for when a task uses Asset.ref()).
AssetResolver = Callable[..., Asset | None]
PARTITION_KEY_MAX_LENGTH = 250


def _assets_of_file(fileloc: str | None) -> list[Asset]:
    """Assets the DAG's own file defines at module level (e.g. an `@asset` another DAG of the file refers to by
    name): Airflow finds those in its database once the file's DAGs are synced; riir knows the file."""
    if not fileloc:
        return []
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == fileloc:
            return [value for value in vars(module).values() if isinstance(value, Asset)]
    return []


def dag_asset_resolver(dag: Any) -> AssetResolver:
    """Resolves asset references against the assets the DAG declares (inlets, outlets, schedule). The DAG's tasks
    are looked through at the first reference only: every try builds a resolver, few use it."""
    known: list[Asset] | None = None

    def declared() -> list[Asset]:
        found: list[Asset] = []
        for task in getattr(dag, "tasks", []):
            for item in [*getattr(task, "inlets", []), *getattr(task, "outlets", [])]:
                if isinstance(item, Asset):
                    found.append(item)
        condition = getattr(getattr(dag, "timetable", None), "asset_condition", None)
        if condition is not None:
            found.extend(condition.iter_assets())
        found.extend(_assets_of_file(getattr(dag, "fileloc", None)))
        return found

    def resolve(*, name: str | None = None, uri: str | None = None) -> Asset | None:
        nonlocal known
        if known is None:
            known = declared()
        for asset in known:
            if (name and asset.name == name) or (uri and asset.uri == uri):
                return asset
        return None

    return resolve


def _resolve(resolver: AssetResolver, ref: AssetRef) -> Asset:
    if isinstance(ref, AssetNameRef):
        found = resolver(name=ref.name)
    elif isinstance(ref, AssetUriRef):
        found = resolver(uri=ref.uri)
    else:
        raise TypeError(f"Unimplemented asset ref: {type(ref)}")
    if found is None:
        raise KeyError(f"Asset {ref!r} is not declared by this DAG")
    return found


@dataclass
class OutletEventAccessor:
    """`outlet_events[asset_or_alias]`: the extra of the event to emit, and events added through an alias."""

    key: AssetUniqueKey | AssetAliasUniqueKey
    extra: dict[str, Any] = field(default_factory=dict)
    asset_alias_events: list[AssetAliasEvent] = field(default_factory=list)
    partition_keys: set[str] = field(default_factory=set)
    resolver: AssetResolver | None = field(default=None, repr=False, compare=False)

    def add_partitions(self, keys: str | list[str]) -> None:
        """Emit the event once per partition key (concrete assets only)."""
        if isinstance(self.key, AssetAliasUniqueKey):
            raise TypeError(
                "add_partitions() is not supported on asset alias outlet events; "
                "partition keys can only be attached to a concrete asset."
            )
        for key in [keys] if isinstance(keys, str) else keys:
            if not key.strip():
                raise ValueError(f"partition_key must not be empty or whitespace-only; got {key!r}.")
            if len(key) > PARTITION_KEY_MAX_LENGTH:
                raise ValueError(
                    f"partition_key must be at most {PARTITION_KEY_MAX_LENGTH} characters; got {len(key)}."
                )
            self.partition_keys.add(key)

    def add(self, asset: Asset | AssetRef, extra: dict[str, Any] | None = None) -> None:
        """Through an alias: emit an event for `asset` (does nothing on an asset's accessor, as in Airflow)."""
        if not isinstance(self.key, AssetAliasUniqueKey):
            return
        if isinstance(asset, AssetRef):
            if self.resolver is None:
                raise KeyError(f"Asset {asset!r} cannot be resolved here")
            asset = _resolve(self.resolver, asset)
        self.asset_alias_events.append(
            AssetAliasEvent(
                source_alias_name=self.key.name,
                dest_asset_key=AssetUniqueKey.from_asset(asset),
                dest_asset_extra=dict(asset.extra),
                extra=dict(extra or {}),
            )
        )


class OutletEventAccessors(Mapping[Asset | AssetAlias, OutletEventAccessor]):
    """`context["outlet_events"]`: one accessor per asset or alias, created on first access."""

    def __init__(self, resolver: AssetResolver | None = None) -> None:
        self._dict: dict[AssetUniqueKey | AssetAliasUniqueKey, OutletEventAccessor] = {}
        self._resolver = resolver

    def asset_by_name(self, name: str) -> Asset | None:
        """The declared asset called `name` (what an `@asset` function's parameters receive), if known here."""
        return self._resolver(name=name) if self._resolver is not None else None

    def __str__(self) -> str:
        return f"OutletEventAccessors(_dict={self._dict})"

    def __iter__(self) -> Iterator[Asset | AssetAlias]:
        return (key.to_asset() if isinstance(key, AssetUniqueKey) else key.to_asset_alias() for key in self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __getitem__(self, key: Asset | AssetAlias | AssetRef) -> OutletEventAccessor:
        hashable: AssetUniqueKey | AssetAliasUniqueKey
        if isinstance(key, Asset):
            hashable = AssetUniqueKey.from_asset(key)
        elif isinstance(key, AssetAlias):
            hashable = AssetAliasUniqueKey.from_asset_alias(key)
        elif isinstance(key, AssetRef):
            if self._resolver is None:
                raise KeyError(f"Asset {key!r} cannot be resolved here")
            hashable = AssetUniqueKey.from_asset(_resolve(self._resolver, key))
        else:
            raise TypeError(f"Key should be either an asset or an asset alias, not {type(key)}")
        if hashable not in self._dict:
            self._dict[hashable] = OutletEventAccessor(key=hashable, extra={}, resolver=self._resolver)
        return self._dict[hashable]

    def for_asset(self, *, name: str | None = None, uri: str | None = None) -> OutletEventAccessor:
        return self[_asset_for(name, uri)]

    def for_asset_alias(self, *, name: str) -> OutletEventAccessor:
        return self[AssetAlias(name=name)]

    def record_metadata(self, metadata: Any) -> bool:
        """Feeds a value a generator task yielded; False when it is not a Metadata (it is then ignored)."""
        if not isinstance(metadata, Metadata):
            return False
        self[metadata.asset].extra.update(metadata.extra)
        if metadata.alias:
            self[metadata.alias].add(metadata.asset, extra=metadata.extra)
        return True


def _asset_for(name: str | None, uri: str | None) -> Asset | AssetRef:
    if name and uri:
        return Asset(name=name, uri=uri)
    if name:
        return Asset.ref(name=name)
    if uri:
        return Asset.ref(uri=uri)
    raise ValueError("name and uri cannot both be None")


@dataclass(frozen=True)
class AssetResponse:
    """The asset of an event, as a task reads it."""

    name: str
    uri: str
    group: str
    extra: dict[str, Any] | None = None


@dataclass(frozen=True)
class AssetEventResult:
    """One recorded asset event (`inlet_events[asset][i]`), with Airflow's field names."""

    id: int
    timestamp: dt.datetime
    asset: AssetResponse
    extra: dict[str, Any] | None = None
    source_task_id: str | None = None
    source_dag_id: str | None = None
    source_run_id: str | None = None
    source_map_index: int | None = None
    partition_key: str | None = None
    created_dagruns: list[Any] = field(default_factory=list)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> AssetEventResult:
        """From the JSON shape stores hand out (timestamp as ISO text)."""
        import pendulum

        timestamp = row["timestamp"]
        if isinstance(timestamp, str):
            timestamp = pendulum.parse(timestamp)
        return cls(
            id=int(row["id"]),
            timestamp=timestamp,
            asset=AssetResponse(**row["asset"]),
            extra=row.get("extra"),
            source_task_id=row.get("source_task_id"),
            source_dag_id=row.get("source_dag_id"),
            source_run_id=row.get("source_run_id"),
            source_map_index=row.get("source_map_index"),
            partition_key=row.get("partition_key"),
        )


# Reads events: (name, uri, alias_name, after, before, ascending, limit) -> rows in the JSON shape.
EventReader = Callable[..., list[dict[str, Any]]]


class InletEventsAccessor(Sequence[AssetEventResult]):
    """The events of one inlet asset (or alias), fetched when first used; `.after/.before/.ascending/.limit`."""

    def __init__(
        self,
        reader: EventReader,
        asset_name: str | None = None,
        asset_uri: str | None = None,
        alias_name: str | None = None,
    ) -> None:
        self._reader = reader
        self._asset_name, self._asset_uri, self._alias_name = asset_name, asset_uri, alias_name
        self._after: str | dt.datetime | None = None
        self._before: str | dt.datetime | None = None
        self._ascending = True
        self._limit: int | None = None
        self._cache: list[AssetEventResult] | None = None

    def after(self, after: str) -> InletEventsAccessor:
        self._after, self._cache = after, None
        return self

    def before(self, before: str) -> InletEventsAccessor:
        self._before, self._cache = before, None
        return self

    def ascending(self, ascending: bool = True) -> InletEventsAccessor:
        self._ascending, self._cache = ascending, None
        return self

    def limit(self, limit: int) -> InletEventsAccessor:
        self._limit, self._cache = limit, None
        return self

    @property
    def _asset_events(self) -> list[AssetEventResult]:
        if self._cache is None:
            if self._alias_name is None and self._asset_name is None and self._asset_uri is None:
                raise ValueError("Either asset_name or asset_uri must be provided")
            rows = self._reader(
                name=self._asset_name,
                uri=self._asset_uri,
                alias_name=self._alias_name,
                after=_iso(self._after),
                before=_iso(self._before),
                ascending=self._ascending,
                limit=self._limit,
            )
            self._cache = [AssetEventResult.from_row(row) for row in rows]
        return self._cache

    def __iter__(self) -> Iterator[AssetEventResult]:
        return iter(self._asset_events)

    def __len__(self) -> int:
        return len(self._asset_events)

    @overload
    def __getitem__(self, key: int) -> AssetEventResult: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[AssetEventResult]: ...

    def __getitem__(self, key: int | slice) -> AssetEventResult | Sequence[AssetEventResult]:
        return self._asset_events[key]


def _iso(value: str | dt.datetime | None) -> str | None:
    return value.isoformat() if isinstance(value, dt.datetime) else value


class InletEventsAccessors(Mapping[int | Asset | AssetAlias | AssetRef, InletEventsAccessor]):
    """`context["inlet_events"]`: the task's inlets (by asset, alias, reference, or position) to their events."""

    def __init__(self, inlets: list[Any], reader: EventReader, resolver: AssetResolver | None = None) -> None:
        self._inlets = inlets
        self._reader = reader
        self._assets: dict[AssetUniqueKey, Asset] = {}
        self._asset_aliases: dict[AssetAliasUniqueKey, AssetAlias] = {}
        for inlet in inlets:
            if isinstance(inlet, Asset):
                self._assets[AssetUniqueKey.from_asset(inlet)] = inlet
            elif isinstance(inlet, AssetAlias):
                self._asset_aliases[AssetAliasUniqueKey.from_asset_alias(inlet)] = inlet
            elif isinstance(inlet, AssetRef) and resolver is not None:
                asset = _resolve(resolver, inlet)
                self._assets[AssetUniqueKey.from_asset(asset)] = asset

    def __iter__(self) -> Iterator[Any]:
        return iter(self._inlets)

    def __len__(self) -> int:
        return len(self._inlets)

    def __getitem__(self, key: int | Asset | AssetAlias | AssetRef) -> InletEventsAccessor:
        if isinstance(key, int):  # position in `inlets`, for short DAG code
            obj = self._inlets[key]
            if not isinstance(obj, Asset | AssetAlias | AssetRef):
                raise IndexError(key)
        else:
            obj = key
        if isinstance(obj, Asset):
            asset = self._assets[AssetUniqueKey.from_asset(obj)]
            return InletEventsAccessor(self._reader, asset_name=asset.name, asset_uri=asset.uri)
        if isinstance(obj, AssetNameRef):
            try:
                asset = next(a for k, a in self._assets.items() if k.name == obj.name)
            except StopIteration:
                raise KeyError(obj) from None
            return InletEventsAccessor(self._reader, asset_name=asset.name)
        if isinstance(obj, AssetUriRef):
            try:
                asset = next(a for k, a in self._assets.items() if k.uri == obj.uri)
            except StopIteration:
                raise KeyError(obj) from None
            return InletEventsAccessor(self._reader, asset_uri=asset.uri)
        if isinstance(obj, AssetAlias):
            alias = self._asset_aliases[AssetAliasUniqueKey.from_asset_alias(obj)]
            return InletEventsAccessor(self._reader, alias_name=alias.name)
        raise TypeError(f"`key` is of unknown type ({type(key).__name__})")

    def for_asset(self, *, name: str | None = None, uri: str | None = None) -> InletEventsAccessor:
        return self[_asset_for(name, uri)]

    def for_asset_alias(self, *, name: str) -> InletEventsAccessor:
        return self[AssetAlias(name=name)]


class TriggeringAssetEventsAccessor(Mapping[Any, Sequence[AssetEventResult]]):
    """`context["triggering_asset_events"]`: the asset events an asset-triggered run consumed, by asset (or by the
    alias they came through), as Airflow's accessor of the same name; read from the store on first use."""

    def __init__(self, reader: Callable[[], list[dict[str, Any]]]) -> None:
        self._reader = reader
        self._events: dict[AssetUniqueKey | AssetAliasUniqueKey, list[AssetEventResult]] | None = None

    def _load(self) -> dict[AssetUniqueKey | AssetAliasUniqueKey, list[AssetEventResult]]:
        if self._events is None:
            events: dict[AssetUniqueKey | AssetAliasUniqueKey, list[AssetEventResult]] = {}
            for row in self._reader():
                event = AssetEventResult.from_row(row)
                events.setdefault(AssetUniqueKey(name=event.asset.name, uri=event.asset.uri), []).append(event)
                for alias in row.get("aliases") or ():
                    events.setdefault(AssetAliasUniqueKey(name=str(alias)), []).append(event)
            self._events = events
        return self._events

    def __str__(self) -> str:
        return f"TriggeringAssetEventAccessor(_events={self._load()})"

    def __iter__(self) -> Iterator[Asset | AssetAlias]:
        return iter(k.to_asset() if isinstance(k, AssetUniqueKey) else k.to_asset_alias() for k in self._load())

    def __len__(self) -> int:
        return len(self._load())

    def __getitem__(self, key: Any) -> Sequence[AssetEventResult]:
        events = self._load()
        if isinstance(key, Asset):
            return events[AssetUniqueKey.from_asset(key)]
        if isinstance(key, AssetAlias):
            return events[AssetAliasUniqueKey.from_asset_alias(key)]
        if isinstance(key, AssetNameRef | AssetUriRef):
            for found, value in events.items():
                if isinstance(found, AssetUniqueKey) and (
                    found.name == getattr(key, "name", None) or found.uri == getattr(key, "uri", None)
                ):
                    return value
            raise KeyError(key)
        raise TypeError(f"Key should be either an asset or an asset alias, not {type(key)}")


@dataclass(frozen=True)
class EventToRegister:
    """One asset event a successful try registers."""

    name: str
    uri: str
    group: str
    asset_extra: dict[str, Any]
    extra: dict[str, Any]
    aliases: tuple[str, ...] = ()
    partition_key: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "uri": self.uri, "group": self.group, "asset_extra": self.asset_extra,
            "extra": self.extra, "aliases": list(self.aliases), "partition_key": self.partition_key,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EventToRegister:
        return cls(
            data["name"], data["uri"], data["group"], dict(data["asset_extra"]), dict(data["extra"]),
            tuple(data["aliases"]), data.get("partition_key"),
        )  # fmt: skip


def events_to_register(
    outlets: list[Any], accessors: OutletEventAccessors, resolver: AssetResolver | None = None
) -> list[EventToRegister]:
    """The events a successful try registers, by Airflow's rules (register_asset_changes_in_db)."""
    events: list[EventToRegister] = []
    emitted = accessors._dict

    def register(asset: Asset) -> None:
        accessor = emitted.get(AssetUniqueKey.from_asset(asset))
        extra = dict(accessor.extra) if accessor is not None else {}
        keys = sorted(accessor.partition_keys) if accessor is not None and accessor.partition_keys else [None]
        for partition_key in keys:
            events.append(
                EventToRegister(asset.name, asset.uri, asset.group, dict(asset.extra), extra, (), partition_key)
            )

    seen: set[AssetUniqueKey] = set()
    for outlet in outlets:
        asset: Asset | None = None
        if isinstance(outlet, Asset):
            asset = outlet
        elif isinstance(outlet, AssetRef) and resolver is not None:
            try:
                asset = _resolve(resolver, outlet)
            except KeyError:
                log.warning("Task has inactive assets %r in inlets or outlets", outlet)
        if asset is not None and AssetUniqueKey.from_asset(asset) not in seen:
            seen.add(AssetUniqueKey.from_asset(asset))
            register(asset)

    # Through aliases: one event per (asset, asset extra, event extra), naming every alias that emitted it.
    alias_names = {o.name for o in outlets if isinstance(o, AssetAlias)}
    through: dict[tuple[AssetUniqueKey, str, str], list[str]] = {}
    details: dict[tuple[AssetUniqueKey, str, str], AssetAliasEvent] = {}
    for accessor in emitted.values():
        for alias_event in accessor.asset_alias_events:
            if alias_event.source_alias_name not in alias_names:
                continue
            key = (
                alias_event.dest_asset_key,
                json.dumps(alias_event.dest_asset_extra, sort_keys=True),
                json.dumps(alias_event.extra, sort_keys=True),
            )
            through.setdefault(key, [])
            if alias_event.source_alias_name not in through[key]:
                through[key].append(alias_event.source_alias_name)
            details[key] = alias_event
    for key, names in through.items():
        alias_event = details[key]
        events.append(
            EventToRegister(
                alias_event.dest_asset_key.name,
                alias_event.dest_asset_key.uri,
                "asset",
                dict(alias_event.dest_asset_extra),
                dict(alias_event.extra),
                tuple(sorted(names)),
            )
        )
    return events


def event_row(
    event: EventToRegister, event_id: int, timestamp: dt.datetime, source: Mapping[str, Any]
) -> dict[str, Any]:
    """A registered event in the JSON shape stores hand to `inlet_events` (with the aliases it came through)."""
    return {
        "id": event_id,
        "timestamp": timestamp.isoformat(),
        "asset": {"name": event.name, "uri": event.uri, "group": event.group, "extra": event.asset_extra},
        "extra": event.extra,
        "source_dag_id": source.get("dag_id"),
        "source_task_id": source.get("task_id"),
        "source_run_id": source.get("run_id"),
        "source_map_index": source.get("map_index"),
        "partition_key": event.partition_key,
        "aliases": list(event.aliases),
    }


def select_events(
    rows: list[dict[str, Any]],
    *,
    name: str | None = None,
    uri: str | None = None,
    alias_name: str | None = None,
    after: str | None = None,
    before: str | None = None,
    ascending: bool = True,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """The rows one `inlet_events[...]` asks for, in timestamp order (in-memory stores)."""

    def wanted(row: dict[str, Any]) -> bool:
        if alias_name is not None:
            return alias_name in row.get("aliases", [])
        asset = row["asset"]
        if name is not None and asset["name"] != name:
            return False
        if uri is not None and asset["uri"] != uri:
            return False
        stamp = dt.datetime.fromisoformat(row["timestamp"])
        if after is not None and stamp < dt.datetime.fromisoformat(after):
            return False
        return before is None or stamp <= dt.datetime.fromisoformat(before)

    found = sorted((r for r in rows if wanted(r)), key=lambda r: (r["timestamp"], r["id"]), reverse=not ascending)
    return found[:limit] if limit is not None else found
