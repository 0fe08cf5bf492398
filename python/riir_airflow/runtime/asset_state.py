"""`context["asset_state_store"]`: per-asset key/value state (Airflow 3.3) for tasks with asset inlets or outlets.

Values are JSON; they live with the asset (the run's store in `dags test`, the metastore's `asset_state` under the
app), so any task of any run that has the asset as an inlet or outlet sees them. A task with exactly one asset may
call get/set/delete/clear on the mapping itself.
"""

from __future__ import annotations

from typing import Any

from riir_airflow.engine.asset_events import AssetResolver
from riir_airflow.schedules.assets import Asset, AssetAlias, AssetNameRef, AssetUriRef


class AssetStateStoreAccessor:
    """The state of one asset, by its name (or URI)."""

    def __init__(
        self, store: Any, *, name: str | None = None, uri: str | None = None, resolver: AssetResolver | None = None
    ) -> None:
        if not name and not uri:
            raise ValueError("Either `name` or `uri` must be provided")
        self._store = store
        self._name = name
        self._uri = uri
        # (name, uri) of the declared asset, so a store can create the asset row when it is first written.
        self._asset = asset_key(name, uri, resolver)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AssetStateStoreAccessor) and (self._name, self._uri) == (other._name, other._uri)

    def __hash__(self) -> int:
        return hash((self._name, self._uri))

    def __repr__(self) -> str:
        if self._name is not None:
            return f"<AssetStateStoreAccessor name={self._name!r}>"
        return f"<AssetStateStoreAccessor uri={self._uri!r}>"

    def _call(self, op: str, **fields: Any) -> Any:
        return self._store.asset_state(op, name=self._name, uri=self._uri, asset=self._asset, **fields)

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value, or `default` when the key is not set."""
        found, value = self._call("get", key=key)
        return value if found else default

    def set(self, key: str, value: Any) -> None:
        """Writes (or overwrites) a value; None is refused."""
        if value is None:
            raise ValueError("Cannot set value as None")
        self._call("set", key=key, value=value)

    def delete(self, key: str) -> None:
        """Deletes one key (nothing happens when it is not set)."""
        self._call("delete", key=key)

    def clear(self) -> None:
        """Deletes every key of the asset."""
        self._call("clear")

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.set(key, value)

    async def adelete(self, key: str) -> None:
        self.delete(key)

    async def aclear(self) -> None:
        self.clear()


class AssetStateStoreAccessors:
    """One accessor per concrete inlet/outlet asset (aliases: the assets they resolved to); subscript by asset."""

    def __init__(self, inlets: list[Any], outlets: list[Any], store: Any, resolver: AssetResolver | None) -> None:
        self._by_name: dict[str, AssetStateStoreAccessor] = {}
        self._by_uri: dict[str, AssetStateStoreAccessor] = {}
        for inlet in inlets:
            if isinstance(inlet, Asset | AssetNameRef):
                self._by_name[inlet.name] = AssetStateStoreAccessor(store, name=inlet.name, resolver=resolver)
            elif isinstance(inlet, AssetUriRef):
                self._by_uri[inlet.uri] = AssetStateStoreAccessor(store, uri=inlet.uri, resolver=resolver)
            elif isinstance(inlet, AssetAlias):
                # The assets events were emitted for through the alias.
                for row in store.asset_events(alias_name=inlet.name):
                    name = row["asset"]["name"]
                    self._by_name.setdefault(name, AssetStateStoreAccessor(store, name=name, resolver=resolver))
        for outlet in outlets:
            # Alias outlets are for emitting events, not for state.
            if isinstance(outlet, Asset | AssetNameRef) and outlet.name not in self._by_name:
                self._by_name[outlet.name] = AssetStateStoreAccessor(store, name=outlet.name, resolver=resolver)
            elif isinstance(outlet, AssetUriRef) and outlet.uri not in self._by_uri:
                self._by_uri[outlet.uri] = AssetStateStoreAccessor(store, uri=outlet.uri, resolver=resolver)
        self._total = len(self._by_name) + len(self._by_uri)

    def __getitem__(self, key: Asset | AssetNameRef | AssetUriRef) -> AssetStateStoreAccessor:
        try:
            if isinstance(key, Asset | AssetNameRef):
                return self._by_name[key.name]
            if isinstance(key, AssetUriRef):
                return self._by_uri[key.uri]
        except KeyError:
            raise KeyError(f"{key!r} is not in this task's inlets or outlets") from None
        raise TypeError(f"Expected Asset, AssetNameRef, or AssetUriRef; got {type(key).__name__}")

    def _single_accessor(self) -> AssetStateStoreAccessor:
        if self._total != 1:
            raise ValueError(
                f"Task has {self._total} concrete inlets and outlets — use "
                "context['asset_state_store'][MY_ASSET] to specify which"
            )
        return next(iter(self._by_name.values())) if self._by_name else next(iter(self._by_uri.values()))

    def get(self, key: str, default: Any = None) -> Any:
        return self._single_accessor().get(key, default)

    def set(self, key: str, value: Any) -> None:
        self._single_accessor().set(key, value)

    def delete(self, key: str) -> None:
        self._single_accessor().delete(key)

    def clear(self) -> None:
        self._single_accessor().clear()

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.set(key, value)

    async def adelete(self, key: str) -> None:
        self.delete(key)

    async def aclear(self) -> None:
        self.clear()

    def __repr__(self) -> str:
        parts = [f"name={k!r}" for k in self._by_name] + [f"uri={k!r}" for k in self._by_uri]
        return f"<AssetStateStoreAccessors [{', '.join(parts)}]>"


def has_asset_state(task: Any) -> bool:
    """Airflow gives a task `asset_state_store` only when it has an asset (or alias) inlet or outlet."""
    kinds = (Asset, AssetNameRef, AssetUriRef, AssetAlias)
    return any(isinstance(item, kinds) for item in [*getattr(task, "inlets", []), *getattr(task, "outlets", [])])


def asset_key(name: str | None, uri: str | None, resolver: AssetResolver | None) -> tuple[str, str] | None:
    """(name, uri) of the declared asset a name or URI refers to (None when the DAG declares no such asset)."""
    found = resolver(name=name, uri=uri) if resolver is not None else None
    return (found.name, found.uri) if found is not None else None
