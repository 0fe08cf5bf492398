"""Hook-level lineage (`airflow.sdk.lineage`): hooks and ObjectStoragePath report the assets they read and write.

As in Airflow, `get_hook_lineage_collector()` is a process-wide collector: a real HookLineageCollector when some
plugin registers a hook lineage reader, else a NoOpCollector that drops everything. Entries are counted per (asset
URI, hash of its extra, reporting object), and capped by `[lineage] max_assets_per_collector` (100) and
`max_extras_per_collector` (200).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from riir_airflow.schedules.assets import Asset


def _limit(key: str, default: int) -> int:
    from riir_airflow.config import conf

    value = conf.get("lineage", key, fallback=None)
    return int(value) if value else default


@dataclass
class AssetLineageInfo:
    """One asset a hook read or wrote, how often, and which object reported it."""

    asset: Asset
    count: int
    context: Any


@dataclass
class ExtraLineageInfo:
    """Other lineage metadata (e.g. a SQL statement) a hook reported."""

    key: str
    value: Any
    count: int
    context: Any


@dataclass
class HookLineage:
    """What a collector gathered."""

    inputs: list[AssetLineageInfo] = field(default_factory=list)
    outputs: list[AssetLineageInfo] = field(default_factory=list)
    extra: list[ExtraLineageInfo] = field(default_factory=list)


def _asset_factories() -> dict[str, Callable[..., Asset]]:
    """`asset-uris` factories declared by installed providers (`apache_airflow_provider` entry points)."""
    from importlib.metadata import entry_points

    from riir_airflow.authoring.module_loading import import_string

    factories: dict[str, Callable[..., Asset]] = {}
    for entry in entry_points(group="apache_airflow_provider"):
        try:
            info = entry.load()()
        except Exception:
            logging.getLogger(__name__).warning("Could not read provider info from %s", entry.value, exc_info=True)
            continue
        for item in info.get("asset-uris", []) or []:
            path = item.get("factory")
            if not path:
                continue
            for scheme in item.get("schemes", []):
                try:
                    factories[scheme] = import_string(path)
                except ImportError:
                    logging.getLogger(__name__).debug("Asset factory %s is not importable", path)
    return factories


class HookLineageCollector:
    """Collects the input and output assets (and extra metadata) hooks report while a task runs."""

    def __init__(self, **kwargs: Any) -> None:
        self.log = logging.getLogger(f"{type(self).__module__}.{type(self).__name__}")
        self._inputs: dict[str, tuple[Asset, Any]] = {}
        self._outputs: dict[str, tuple[Asset, Any]] = {}
        self._input_counts: dict[str, int] = defaultdict(int)
        self._output_counts: dict[str, int] = defaultdict(int)
        self._extra: dict[str, tuple[str, Any, Any]] = {}
        self._extra_counts: dict[str, int] = defaultdict(int)
        self._max_assets = _limit("max_assets_per_collector", 100)
        self._max_extra = _limit("max_extras_per_collector", 200)

    @functools.cached_property
    def _asset_factories(self) -> dict[str, Callable[..., Asset]]:
        return _asset_factories()

    @staticmethod
    def _generate_hash(value: Any) -> str:
        text = json.dumps(value, sort_keys=True, default=str)
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def _generate_asset_entry_id(self, asset: Asset, context: Any) -> str:
        return f"{asset.uri}_{self._generate_hash(asset.extra)}_{id(context)}"

    def _generate_extra_entry_id(self, key: str, value: Any, context: Any) -> str:
        return f"{key}_{self._generate_hash(value)}_{id(context)}"

    def create_asset(
        self,
        *,
        scheme: str | None = None,
        uri: str | None = None,
        name: str | None = None,
        group: str | None = None,
        asset_kwargs: dict[str, Any] | None = None,
        asset_extra: dict[str, Any] | None = None,
    ) -> Asset | None:
        """An Asset from a URI/name, or from the provider factory registered for `scheme`."""
        if uri or name:
            return Asset(name=name, uri=uri, group=group, extra=asset_extra)
        if not scheme:
            self.log.debug("Missing required parameter: either 'uri' or 'scheme' must be provided to create an asset.")
            return None
        factory = self._asset_factories.get(scheme)
        if factory is None:
            self.log.debug("Unsupported scheme: %s. Please provide a valid URI to create an asset.", scheme)
            return None
        try:
            return factory(**(asset_kwargs or {}), extra=asset_extra)
        except Exception as error:
            self.log.debug("Failed to create asset. Skipping. Error: %s", error)
            return None

    def _add(self, store: dict[str, tuple[Asset, Any]], counts: dict[str, int], kind: str, context: Any,
             **asset_args: Any) -> None:  # fmt: skip
        if len(store) >= self._max_assets:
            self.log.debug("Maximum number of asset %s exceeded. Skipping.", kind)
            return
        asset = self.create_asset(**asset_args)
        if asset is not None:
            entry_id = self._generate_asset_entry_id(asset, context)
            store.setdefault(entry_id, (asset, context))
            counts[entry_id] += 1
        if len(store) == self._max_assets:
            self.log.warning("Maximum number of asset %s exceeded. Skipping subsequent inputs.", kind)

    def add_input_asset(
        self,
        context: Any,
        scheme: str | None = None,
        uri: str | None = None,
        name: str | None = None,
        group: str | None = None,
        asset_kwargs: dict[str, Any] | None = None,
        asset_extra: dict[str, Any] | None = None,
    ) -> None:
        self._add(self._inputs, self._input_counts, "inputs", context, scheme=scheme, uri=uri, name=name, group=group,
                  asset_kwargs=asset_kwargs, asset_extra=asset_extra)  # fmt: skip

    def add_output_asset(
        self,
        context: Any,
        scheme: str | None = None,
        uri: str | None = None,
        name: str | None = None,
        group: str | None = None,
        asset_kwargs: dict[str, Any] | None = None,
        asset_extra: dict[str, Any] | None = None,
    ) -> None:
        self._add(self._outputs, self._output_counts, "outputs", context, scheme=scheme, uri=uri, name=name,
                  group=group, asset_kwargs=asset_kwargs, asset_extra=asset_extra)  # fmt: skip

    def add_extra(self, context: Any, key: str, value: Any) -> None:
        if len(self._extra) >= self._max_extra:
            self.log.debug("Maximum number of extra exceeded. Skipping.")
            return
        if not key or not value:
            self.log.debug("Missing required parameter: both 'key' and 'value' must be provided.")
            return
        entry_id = self._generate_extra_entry_id(key, value, context)
        self._extra.setdefault(entry_id, (key, value, context))
        self._extra_counts[entry_id] += 1
        if len(self._extra) == self._max_extra:
            self.log.warning("Maximum number of extra exceeded. Skipping subsequent inputs.")

    @property
    def collected_assets(self) -> HookLineage:
        return HookLineage(
            inputs=[AssetLineageInfo(a, self._input_counts[k], c) for k, (a, c) in self._inputs.items()],
            outputs=[AssetLineageInfo(a, self._output_counts[k], c) for k, (a, c) in self._outputs.items()],
            extra=[ExtraLineageInfo(key, v, self._extra_counts[k], c) for k, (key, v, c) in self._extra.items()],
        )

    @property
    def has_collected(self) -> bool:
        return bool(self._inputs or self._outputs or self._extra)


class NoOpCollector(HookLineageCollector):
    """Drops everything: lineage collection is off (no plugin registers a hook lineage reader)."""

    def add_input_asset(self, *_: Any, **__: Any) -> None:
        pass

    def add_output_asset(self, *_: Any, **__: Any) -> None:
        pass

    def add_extra(self, *_: Any, **__: Any) -> None:
        pass

    @property
    def collected_assets(self) -> HookLineage:
        self.log.debug(
            "Data lineage tracking is disabled. Register a hook lineage reader to start tracking hook lineage."
        )
        return HookLineage([], [], [])


class HookLineageReader:
    """Reads what the process-wide collector gathered (plugins register subclasses to turn collection on)."""

    def __init__(self, **kwargs: Any) -> None:
        self.lineage_collector = get_hook_lineage_collector()

    def retrieve_hook_lineage(self) -> HookLineage:
        return self.lineage_collector.collected_assets


def _hook_lineage_readers() -> list[Any]:
    """Hook lineage reader classes registered by plugins (`AirflowPlugin.hook_lineage_readers`), if any."""
    try:
        from riir_airflow import plugins_manager
    except ImportError:
        return []
    readers = getattr(plugins_manager, "get_hook_lineage_readers_plugins", None)
    return list(readers()) if readers is not None else []


@functools.cache
def get_hook_lineage_collector() -> HookLineageCollector:
    """The process-wide collector."""
    return HookLineageCollector() if _hook_lineage_readers() else NoOpCollector()
