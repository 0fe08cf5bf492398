"""Assets (formerly datasets): what tasks produce and what schedules wait for, plus `&` / `|` conditions."""

from __future__ import annotations

import json
import urllib.parse
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar


def _check_identifier(kind: str, attribute: str, value: Any, allow_empty: bool = True) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{kind} {attribute} must be a string")
    if len(value) > 1500:
        raise ValueError(f"{kind} {attribute} cannot exceed 1500 characters")
    if value.isspace():
        raise ValueError(f"{kind} {attribute} cannot be just whitespace")
    if not allow_empty and not value:
        raise ValueError(f"{kind} {attribute} cannot be empty")
    return value


def _sanitize_uri(uri: str) -> str:
    """Airflow 3.3's URI normalisation (`_sanitize_uri`): for a URI with a scheme (not `x-...`), the scheme
    lower-cased, user info with a password dropped (with a warning), trailing slashes of the path removed but an
    empty path is `/` (`sc://a1` -> `sc://a1/`), query parameters sorted, the fragment dropped. Schemes a provider
    registers an `asset-uris` handler for are further checked by that provider in Airflow, not here."""
    parsed = urllib.parse.urlsplit(uri)
    if not parsed.scheme and not parsed.netloc:  # does not look like a URI
        return uri
    scheme = parsed.scheme.lower()
    if not scheme or scheme.startswith("x-"):
        return uri
    if scheme == "airflow":
        raise ValueError("Asset scheme 'airflow' is reserved")
    netloc = parsed.netloc
    if parsed.password:
        warnings.warn(
            "An Asset URI should not contain a password. User info has been automatically dropped.",
            UserWarning,
            stacklevel=4,
        )
        netloc = netloc.rpartition("@")[2]
    query = urllib.parse.urlencode(sorted(urllib.parse.parse_qsl(parsed.query))) if parsed.query else ""
    path = parsed.path.rstrip("/") or "/"
    return urllib.parse.urlunsplit(parsed._replace(scheme=scheme, netloc=netloc, path=path, query=query, fragment=""))


class BaseAsset:
    """Anything usable in `schedule=`: an asset, an alias, or an and/or condition of them."""

    def __or__(self, other: BaseAsset) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAny(self, other)

    def __and__(self, other: BaseAsset) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAll(self, other)

    def iter_assets(self) -> Iterator[Asset]:
        return iter(())

    def as_expression(self) -> Any:
        """A JSON form of the condition, as Airflow serializes it."""
        raise NotImplementedError


@dataclass(frozen=True)
class AssetWatcher:
    """Creates asset events when its trigger fires (event-driven scheduling)."""

    name: str
    trigger: Any


class Asset(BaseAsset):
    """A named piece of data; `name` and `uri` default to each other."""

    asset_type: ClassVar[str] = "asset"

    def __init__(
        self,
        name: str | None = None,
        uri: str | None = None,
        *,
        group: str | None = None,
        extra: dict[str, Any] | None = None,
        watchers: list[AssetWatcher] | None = None,
        access_control: Any = None,
    ) -> None:
        if name is None and uri is None:
            raise TypeError("Asset() requires either 'name' or 'uri'")
        name = str(uri) if name is None else name
        uri = name if uri is None else str(uri)
        kind = type(self).__name__
        self.name = _check_identifier(kind, "name", name, allow_empty=False)
        if self.name in ("self", "context"):
            raise ValueError(f"prohibited name for asset: {self.name}")
        self.uri = _sanitize_uri(_check_identifier(kind, "uri", uri, allow_empty=False))
        self.group = _check_identifier(kind, "group", self.asset_type if group is None else group)
        self.extra = extra or {}
        self.watchers = watchers or []
        self.access_control = access_control

    def _key(self) -> tuple[str, str, str, str]:
        return self.name, self.uri, self.group, json.dumps(self.extra, sort_keys=True, default=str)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Asset):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        # Airflow's (attrs) repr, which shows up in messages users compare against.
        from riir_airflow.schedules.asset_access import AssetAccessControl

        access = self.access_control if self.access_control is not None else AssetAccessControl()
        return (
            f"{type(self).__name__}(name={self.name!r}, uri={self.uri!r}, group={self.group!r}, extra={self.extra!r}, "
            f"watchers={self.watchers!r}, access_control={access!r})"
        )

    def __fspath__(self) -> str:
        return self.uri

    def iter_assets(self) -> Iterator[Asset]:
        yield self

    def as_expression(self) -> Any:
        return {"asset": {"uri": self.uri, "name": self.name, "group": self.group}}

    @staticmethod
    def ref(*, name: str = "", uri: str = "") -> AssetRef:
        if name and uri:
            raise TypeError("Asset reference must be made to either name or URI, not both")
        if name:
            return AssetNameRef(name)
        if uri:
            return AssetUriRef(uri)
        raise TypeError("Asset reference expects keyword argument 'name' or 'uri'")


class Dataset(Asset):
    """Airflow 2's name for an asset."""

    asset_type: ClassVar[str] = "dataset"


class Model(Asset):
    """An asset that is a machine-learning model."""

    asset_type: ClassVar[str] = "model"


@dataclass(frozen=True)
class AssetRef(BaseAsset):
    """A reference to an asset defined elsewhere, by name or URI."""

    def as_expression(self) -> Any:
        return {"asset_ref": dict(self.__dict__)}


@dataclass(frozen=True)
class AssetNameRef(AssetRef):
    name: str


@dataclass(frozen=True)
class AssetUriRef(AssetRef):
    uri: str


@dataclass(frozen=True)
class AssetAlias(BaseAsset):
    """A name under which tasks attach asset events to assets decided at run time."""

    name: str
    group: str = field(default="asset", kw_only=True)

    def __post_init__(self) -> None:
        _check_identifier("AssetAlias", "name", self.name, allow_empty=False)
        _check_identifier("AssetAlias", "group", self.group)

    def as_expression(self) -> Any:
        return {"alias": {"name": self.name, "group": self.group}}


class AssetBooleanCondition(BaseAsset):
    """An and/or of asset expressions."""

    def __init__(self, *objects: BaseAsset) -> None:
        if not all(isinstance(o, BaseAsset) for o in objects):
            raise TypeError("expect asset expressions in condition")
        self.objects = objects

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, type(self)):
            return NotImplemented
        return self.objects == other.objects

    def __hash__(self) -> int:
        return hash(tuple(self.objects))

    def iter_assets(self) -> Iterator[Asset]:
        for obj in self.objects:
            yield from obj.iter_assets()


class AssetAny(AssetBooleanCondition):
    """Any of the assets (`a | b`)."""

    def __or__(self, other: BaseAsset) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAny(*self.objects, other)

    def __repr__(self) -> str:
        return f"AssetAny({', '.join(map(str, self.objects))})"

    def as_expression(self) -> Any:
        return {"any": [o.as_expression() for o in self.objects]}


class AssetAll(AssetBooleanCondition):
    """All of the assets (`a & b`, or a plain list in `schedule=`)."""

    def __and__(self, other: BaseAsset) -> BaseAsset:
        if not isinstance(other, BaseAsset):
            return NotImplemented
        return AssetAll(*self.objects, other)

    def __repr__(self) -> str:
        return f"AssetAll({', '.join(map(str, self.objects))})"

    def as_expression(self) -> Any:
        return {"all": [o.as_expression() for o in self.objects]}


@dataclass
class Metadata:
    """Yielded from a task to attach `extra` to the asset event it emits (and, with `alias`, emit it through it)."""

    asset: Asset
    extra: dict[str, Any] = field(default_factory=dict)
    alias: AssetAlias | None = None


@dataclass(frozen=True)
class AssetUniqueKey:
    """What identifies an asset: its name and URI."""

    name: str
    uri: str

    @classmethod
    def from_asset(cls, asset: Asset) -> AssetUniqueKey:
        return cls(name=asset.name, uri=asset.uri)

    def to_asset(self) -> Asset:
        return Asset(name=self.name, uri=self.uri)


@dataclass(frozen=True)
class AssetAliasUniqueKey:
    """What identifies an asset alias: its name."""

    name: str

    @classmethod
    def from_asset_alias(cls, asset_alias: AssetAlias) -> AssetAliasUniqueKey:
        return cls(name=asset_alias.name)

    def to_asset_alias(self) -> AssetAlias:
        return AssetAlias(name=self.name)


@dataclass(frozen=True)
class AssetAliasEvent:
    """An asset event a task emits through an alias (`outlet_events[alias].add(asset, extra=...)`)."""

    source_alias_name: str
    dest_asset_key: AssetUniqueKey
    dest_asset_extra: dict[str, Any]
    extra: dict[str, Any]
