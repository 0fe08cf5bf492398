"""Airflow's `ProvidersManager`: what the installed provider distributions offer, read from their metadata.

Each provider distribution declares an `apache_airflow_provider` entry point whose function returns its provider
info (package name, description, connection types with their hook classes and form fields, extra links, triggers,
notifications, dialects, task decorators, config). Nothing else is imported until asked for: a hook class is
imported on first access of `hooks[conn_type]`, and one that fails to import (a missing library or system library)
yields None plus a logged message naming the class, the distribution and the error, as in Airflow, so one broken
provider never stops the others.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import logging
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, NamedTuple

log = logging.getLogger("airflow.providers_manager")

ENTRY_POINT_GROUP = "apache_airflow_provider"
# Connection types Airflow core itself lists without a hook (Airflow's `_init_airflow_core_hooks`).
_CORE_CONNECTION_TYPES = {"generic": "Generic", "email": "Email"}
# ... and the standard provider's hooks, listed even without its distribution (riir ships the standard provider).
_STANDARD_HOOKS = {
    "fs": "airflow.providers.standard.hooks.filesystem.FSHook",
    "package_index": "airflow.providers.standard.hooks.package_index.PackageIndexHook",
}


@dataclass
class ProviderInfo:
    """One installed provider: its distribution version and its provider info dict."""

    version: str
    data: dict[str, Any]


class HookClassProvider(NamedTuple):
    hook_class_name: str
    package_name: str


class HookInfo(NamedTuple):
    hook_class_name: str | None
    connection_id_attribute_name: str | None
    package_name: str | None
    hook_name: str
    connection_type: str | None
    connection_testable: bool
    dialects: list[str] = []


class DialectInfo(NamedTuple):
    name: str
    dialect_class_name: str
    provider_name: str


class TriggerInfo(NamedTuple):
    trigger_class_name: str
    package_name: str
    integration_name: str


class NotificationInfo(NamedTuple):
    notification_class_name: str
    package_name: str


class ConnectionFormWidgetInfo(NamedTuple):
    hook_class_name: str
    package_name: str
    field: Any
    field_name: str
    is_sensitive: bool


class ConnectionTypeHookUIMetadata(NamedTuple):
    connection_type: str
    hook_name: str
    hook_class_name: str | None
    field_behaviour: dict[str, Any] | None


class LazyDictWithCache(MutableMapping[str, Any]):
    """A dict whose values may be zero-argument callables, called (once) when the key is first read."""

    def __init__(self) -> None:
        self._raw_dict: dict[str, Any] = {}
        self._resolved: set[str] = set()

    def __setitem__(self, key: str, value: Any) -> None:
        self._resolved.discard(key)
        self._raw_dict[key] = value

    def __getitem__(self, key: str) -> Any:
        value = self._raw_dict[key]
        if key not in self._resolved and callable(value):
            value = value()
            self._raw_dict[key] = value
        self._resolved.add(key)
        return value

    def __delitem__(self, key: str) -> None:
        self._raw_dict.pop(key)
        self._resolved.discard(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw_dict)

    def __len__(self) -> int:
        return len(self._raw_dict)

    def __contains__(self, key: object) -> bool:
        return key in self._raw_dict


def import_provider_class(class_name: str) -> Any:
    module_name, _, attr = class_name.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def discover_provider_infos() -> dict[str, ProviderInfo]:
    """Every installed distribution's `apache_airflow_provider` entry point, by package name (sorted)."""
    from riir_airflow import compat

    # Provider code lives in the `airflow.providers` namespace: reading it needs the alias.
    compat.install()
    found: dict[str, ProviderInfo] = {}
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        distribution = entry_point.dist
        try:
            data = entry_point.load()()
        except Exception as err:
            name = distribution.name if distribution else entry_point.value
            log.warning("Cannot read the provider info of %s (%s): %s", name, entry_point.value, err)
            continue
        version = distribution.version if distribution else data.get("versions", ["unknown"])[0]
        data["documentation-url"] = _documentation_url(distribution)
        found.setdefault(data["package-name"], ProviderInfo(version=version, data=data))
    return dict(sorted(found.items()))


def _documentation_url(distribution: importlib.metadata.Distribution | None) -> str | None:
    """As Airflow's discovery: the distribution's `Project-URL: Documentation, <url>`."""
    for entry in (distribution.metadata.get_all("Project-URL") or []) if distribution else []:
        name, comma, url = entry.partition(",")
        if comma and name.strip().lower() == "documentation":
            return str(url).strip()
    return None


class ProvidersManager:
    """Airflow's singleton; every property reads the installed providers on first use."""

    _instance: ProvidersManager | None = None
    _initialized = False

    def __new__(cls) -> ProvidersManager:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __init__(self) -> None:
        if type(self)._initialized:
            return
        type(self)._initialized = True
        self._provider_dict: dict[str, ProviderInfo] | None = None
        self._hooks_lazy_dict = LazyDictWithCache()
        self._hook_provider_dict: dict[str, HookClassProvider] = {}
        self._hook_name_dict: dict[str, str] = {}
        self._field_behaviours: dict[str, dict[str, Any]] = {}
        self._connection_form_widgets: dict[str, ConnectionFormWidgetInfo] = {}
        self._dialect_provider_dict: dict[str, DialectInfo] = {}
        self._hooks_initialized = False

    @staticmethod
    def initialized() -> bool:
        return ProvidersManager._initialized

    @classmethod
    def reset(cls) -> None:
        """Forgets what was read (tests install providers while running)."""
        cls._instance = None
        cls._initialized = False

    # -- providers -------------------------------------------------------------------------------------------------
    def initialize_providers_list(self) -> None:
        if self._provider_dict is None:
            self._provider_dict = discover_provider_infos()

    @property
    def providers(self) -> dict[str, ProviderInfo]:
        self.initialize_providers_list()
        assert self._provider_dict is not None
        return self._provider_dict

    def _each(self, key: str) -> Iterator[tuple[str, Any]]:
        for package_name, provider in self.providers.items():
            for item in provider.data.get(key, []) or []:
                yield package_name, item

    # -- hooks and connection types ---------------------------------------------------------------------------------
    def initialize_providers_hooks(self) -> None:
        if self._hooks_initialized:
            return
        self._hooks_initialized = True
        for conn_type, display in _CORE_CONNECTION_TYPES.items():
            self._hooks_lazy_dict[conn_type] = HookInfo(None, None, None, display, None, False)
        for conn_type, class_name in _STANDARD_HOOKS.items():
            self._hooks_lazy_dict[conn_type] = functools.partial(
                self._import_hook, conn_type, class_name, "apache-airflow-providers-standard"
            )
        for package_name, item in self._each("dialects"):
            self._dialect_provider_dict[item["dialect-type"]] = DialectInfo(
                item["dialect-type"], item["dialect-class-name"], package_name
            )
        for package_name, item in self._each("connection-types"):
            conn_type = item["connection-type"]
            if conn_type in self._hook_provider_dict:
                log.warning(
                    "The connection_type '%s' has been already registered by provider '%s.'",
                    conn_type,
                    self._hook_provider_dict[conn_type].package_name,
                )
                continue
            hook_class_name = item["hook-class-name"]
            self._hook_provider_dict[conn_type] = HookClassProvider(hook_class_name, package_name)
            self._hook_name_dict[conn_type] = item.get("hook-name", conn_type)
            self._hooks_lazy_dict[conn_type] = functools.partial(
                self._import_hook, conn_type, hook_class_name, package_name
            )
            if "ui-field-behaviour" in item:
                self._field_behaviours[conn_type] = _prefixed_behaviour(item["ui-field-behaviour"], conn_type)
            for field_name, field in (item.get("conn-fields") or {}).items():
                key = f"extra__{conn_type}__{field_name}"
                self._connection_form_widgets[key] = ConnectionFormWidgetInfo(
                    hook_class_name, package_name, field, field_name, bool(field.get("sensitive", False))
                )
        self._hook_provider_dict = dict(sorted(self._hook_provider_dict.items()))

    def _import_hook(self, conn_type: str, hook_class_name: str, package_name: str) -> HookInfo | None:
        try:
            hook_class = import_provider_class(hook_class_name)
        except Exception as err:  # ImportError, or OSError from a missing system library (ctypes, cffi)
            # Airflow logs this and carries on: one provider missing a library must not stop the others.
            log.warning(
                "Hook %s for connection type %r (provider %s) cannot be imported: %s: %s",
                hook_class_name,
                conn_type,
                package_name,
                type(err).__name__,
                err,
            )
            return None
        dialects = [d.name for d in self._dialect_provider_dict.values() if d.provider_name == package_name]
        return HookInfo(
            hook_class_name=hook_class_name,
            connection_id_attribute_name=getattr(hook_class, "conn_name_attr", None),
            package_name=package_name,
            hook_name=str(self._hook_name_dict.get(conn_type) or getattr(hook_class, "hook_name", None) or conn_type),
            connection_type=conn_type,
            connection_testable=callable(getattr(hook_class, "test_connection", None)),
            dialects=dialects,
        )

    @property
    def hooks(self) -> MutableMapping[str, HookInfo | None]:
        self.initialize_providers_hooks()
        return self._hooks_lazy_dict

    @property
    def hook_provider_dict(self) -> dict[str, HookClassProvider]:
        self.initialize_providers_hooks()
        return self._hook_provider_dict

    @property
    def dialects(self) -> dict[str, DialectInfo]:
        self.initialize_providers_hooks()
        return self._dialect_provider_dict

    @property
    def connection_form_widgets(self) -> dict[str, ConnectionFormWidgetInfo]:
        self.initialize_providers_hooks()
        return self._connection_form_widgets

    @property
    def field_behaviours(self) -> dict[str, dict[str, Any]]:
        self.initialize_providers_hooks()
        return dict(sorted(self._field_behaviours.items()))

    def iter_connection_type_hook_ui_metadata(self) -> Iterator[ConnectionTypeHookUIMetadata]:
        self.initialize_providers_hooks()
        for conn_type in sorted(set(self._hooks_lazy_dict) | set(self._hook_provider_dict)):
            provider = self._hook_provider_dict.get(conn_type)
            raw = self._hooks_lazy_dict._raw_dict.get(conn_type)
            name = raw.hook_name if isinstance(raw, HookInfo) else self._hook_name_dict.get(conn_type, conn_type)
            yield ConnectionTypeHookUIMetadata(
                connection_type=conn_type,
                hook_name=name,
                hook_class_name=provider.hook_class_name if provider else None,
                field_behaviour=self._field_behaviours.get(conn_type),
            )

    def hook_class(self, conn_type: str) -> type[Any]:
        """The hook class of a connection type; the error names the type and what is installed."""
        self.initialize_providers_hooks()
        provider = self._hook_provider_dict.get(conn_type)
        if provider is None:
            raise KeyError(
                f"Unknown hook type {conn_type!r}: no installed provider registers this connection type "
                "(install one with `riir-airflow providers install`)"
            )
        return import_provider_class(provider.hook_class_name)  # type: ignore[no-any-return]

    # -- the rest of the provider info ----------------------------------------------------------------------------
    @property
    def extra_links_class_names(self) -> list[str]:
        return sorted({name for _, name in self._each("extra-links")})

    @property
    def trigger(self) -> list[TriggerInfo]:
        return [
            TriggerInfo(module, package_name, item.get("integration-name", ""))
            for package_name, item in self._each("triggers")
            for module in item.get("python-modules", [])
        ]

    @property
    def notification(self) -> list[NotificationInfo]:
        return [NotificationInfo(name, package_name) for package_name, name in self._each("notifications")]

    @property
    def taskflow_decorators(self) -> dict[str, Callable[..., Any]]:
        return {
            item["name"]: _LazyDecorator(item["class-name"]) for _package_name, item in self._each("task-decorators")
        }

    @property
    def filesystem_module_names(self) -> list[str]:
        return sorted({name for _, name in self._each("filesystems")})

    @property
    def secrets_backend_class_names(self) -> list[str]:
        return sorted({name for _, name in self._each("secrets-backends")})

    @property
    def logging_class_names(self) -> list[str]:
        return sorted({name for _, name in self._each("logging")})

    @property
    def executor_class_names(self) -> list[str]:
        return sorted({name for _, name in self._each("executors")})

    @property
    def queue_class_names(self) -> list[str]:
        return sorted({name for _, name in self._each("queues")})

    @property
    def auth_managers(self) -> list[str]:
        return sorted({name for _, name in self._each("auth-managers")})

    @property
    def provider_configs(self) -> list[tuple[str, dict[str, Any]]]:
        return sorted((name, info.data["config"]) for name, info in self.providers.items() if info.data.get("config"))

    @property
    def already_initialized_provider_configs(self) -> list[tuple[str, dict[str, Any]]]:
        return self.provider_configs

    def initialize_providers_configuration(self) -> None:
        """Provider config defaults are read by riir's config on lookup; nothing to load ahead."""

    def initialize_providers_extra_links(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_triggers(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_notifications(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_taskflow_decorator(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_filesystems(self) -> None:
        self.initialize_providers_list()

    # Airflow's other `initialize_providers_*` steps: every property here reads the provider infos on first use, so
    # each only makes sure the list is read (the message-queue trigger calls `initialize_providers_queues`).
    def initialize_providers_queues(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_secrets_backends(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_logging(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_remote_logging(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_executors(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_executors_without_check(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_auth_managers(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_auth_managers_without_check(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_asset_uri_resources(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_plugins(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_db_managers(self) -> None:
        self.initialize_providers_list()

    def initialize_providers_cli_command(self) -> None:
        self.initialize_providers_list()


class _LazyDecorator:
    """A provider's task decorator (`@task.docker`...), imported when first used."""

    def __init__(self, class_name: str) -> None:
        self.class_name = class_name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return import_provider_class(self.class_name)(*args, **kwargs)


def _prefixed_behaviour(behaviour: dict[str, Any], conn_type: str) -> dict[str, Any]:
    """Airflow prefixes placeholder keys of custom (extra) fields with `extra__<conn_type>__`."""
    standard = {"host", "schema", "login", "password", "port", "extra", "description", "conn_type", "conn_id"}
    placeholders = {
        key if key in standard else f"extra__{conn_type}__{key}": value
        for key, value in (behaviour.get("placeholders") or {}).items()
    }
    return {**behaviour, "placeholders": placeholders}
