"""Finding and loading Airflow plugins, as Airflow 3.3's plugins manager does.

Sources: every `*.py` file under `[core] plugins_folder` (default `$AIRFLOW_HOME/plugins`, `.airflowignore`
respected; the folder is put on `sys.path` so plugin modules import each other by name) and every entry point of
the `airflow.plugins` group. Each `AirflowPlugin` subclass found is instantiated once; a file or entry point that
raises while importing is recorded in `import_errors()` (file path -> message) and logged with its traceback, and
every other plugin still loads. What a plugin brings:

- `macros`: `{{ macros.<plugin name>.<function>() }}` in templates;
- `timetables`, `priority_weight_strategies`, `partition_mappers`, `windows`, `deadline_references`: classes
  registered by qualified name (`registered_timetables()` ...);
- `listeners`: modules or objects with `@hookimpl` functions (listeners.py calls them);
- `global_operator_extra_links` / `operator_extra_links`: extra links shown for task instances;
- the web parts (`fastapi_apps`, `external_views`, `react_apps`, flask/appbuilder leftovers) are reported by
  `plugin_info()` like Airflow's, but riir's broker serves no plugin code.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.machinery
import importlib.util
import inspect
import logging
import os
import sys
import types
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import importlib.metadata

log = logging.getLogger("airflow.plugins_manager")


class AirflowPluginSource:
    """Where a plugin came from."""

    def __str__(self) -> str:
        raise NotImplementedError

    def __html__(self) -> str:
        raise NotImplementedError


class PluginsDirectorySource(AirflowPluginSource):
    """A file of the plugins folder: shown as `$PLUGINS_FOLDER/<relative path>`."""

    def __init__(self, path: str, plugins_folder: str) -> None:
        self.path = os.path.relpath(path, plugins_folder)

    def __str__(self) -> str:
        return f"$PLUGINS_FOLDER/{self.path}"

    def __html__(self) -> str:
        return f"<em>$PLUGINS_FOLDER/</em>{self.path}"


class EntryPointSource(AirflowPluginSource):
    """An `airflow.plugins` entry point: shown as `<dist>==<version>: <entry point>`."""

    def __init__(self, entrypoint: importlib.metadata.EntryPoint, dist: importlib.metadata.Distribution) -> None:
        self.dist = dist.metadata["Name"]
        self.version = dist.version
        self.entrypoint = str(entrypoint)

    def __str__(self) -> str:
        return f"{self.dist}=={self.version}: {self.entrypoint}"

    def __html__(self) -> str:
        return f"<em>{self.dist}=={self.version}:</em> {self.entrypoint}"


class AirflowPluginException(Exception):
    """A plugin is invalid (e.g. it has no name)."""


class AirflowPlugin:
    """Subclass it (with a `name`) in a file of the plugins folder or behind an `airflow.plugins` entry point."""

    name: str | None = None
    source: AirflowPluginSource | None = None
    macros: list[Any] = []
    admin_views: list[Any] = []
    flask_blueprints: list[Any] = []
    fastapi_apps: list[Any] = []
    fastapi_root_middlewares: list[Any] = []
    external_views: list[Any] = []
    react_apps: list[Any] = []
    menu_links: list[Any] = []
    appbuilder_views: list[Any] = []
    appbuilder_menu_items: list[Any] = []
    # Extra links on every operator's task instances / on the operators each link names.
    global_operator_extra_links: list[Any] = []
    operator_extra_links: list[Any] = []
    timetables: list[Any] = []
    partition_mappers: list[Any] = []
    windows: list[Any] = []
    deadline_references: list[Any] = []
    # Modules or objects with `@hookimpl` functions named like Airflow's listener hook specs.
    listeners: list[Any] = []
    hook_lineage_readers: list[Any] = []
    priority_weight_strategies: list[Any] = []

    @classmethod
    def validate(cls) -> None:
        if not cls.name:
            raise AirflowPluginException("Your plugin needs a name.")

    @classmethod
    def on_load(cls, *args: Any, **kwargs: Any) -> None:
        """Runs once when the plugin is loaded."""


def is_valid_plugin(plugin_obj: Any) -> bool:
    """A subclass of AirflowPlugin (Airflow's own class too, matched by name as Airflow does), not the base."""
    if not inspect.isclass(plugin_obj):
        return False
    is_plugin = any(
        (base.__name__ == "AirflowPlugin" and "plugins_manager" in base.__module__) or base is AirflowPlugin
        for base in plugin_obj.__mro__
    )
    if is_plugin and plugin_obj.__name__ != "AirflowPlugin":
        cast("type[AirflowPlugin]", plugin_obj).validate()
        return True
    return False


def qualname(obj: Any) -> str:
    """`module.QualName` of a class, function or instance (of its class), as Airflow names registered classes."""
    target = obj if inspect.isclass(obj) or inspect.isroutine(obj) else type(obj)
    return f"{target.__module__}.{target.__qualname__}"


def _ignore_patterns(folder: Path) -> list[str]:
    ignore = folder / ".airflowignore"
    if not ignore.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in ignore.read_text().splitlines())
    return [line for line in lines if line]


def plugin_files(folder: str) -> Iterator[str]:
    """The `*.py` files of the plugins folder, sorted, minus what `.airflowignore` (glob syntax) excludes."""
    root = Path(folder)
    patterns = _ignore_patterns(root)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if "__pycache__" in path.parts or any(fnmatch.fnmatch(rel, p) or rel.startswith(p.rstrip("/") + "/")
                                              for p in patterns):  # fmt: skip
            continue
        yield str(path)


def _load_directory(folder: str) -> tuple[list[AirflowPlugin], dict[str, str]]:
    plugins: list[AirflowPlugin] = []
    errors: dict[str, str] = {}
    if not os.path.isdir(folder):
        return plugins, errors
    if folder not in sys.path:  # as Airflow: plugin modules import each other (and DAGs import them) by name
        sys.path.append(folder)
    for file_path in plugin_files(folder):
        mod_name = Path(file_path).stem
        try:
            loader = importlib.machinery.SourceFileLoader(mod_name, file_path)
            spec = importlib.util.spec_from_loader(mod_name, loader)
            if spec is None:
                log.error("Could not load spec for module %s at %s", mod_name, file_path)
                continue
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            loader.exec_module(module)
            for value in list(module.__dict__.values()):
                if is_valid_plugin(value):
                    plugin: AirflowPlugin = value()
                    plugin.source = PluginsDirectorySource(file_path, folder)
                    plugins.append(plugin)
        except Exception as exc:
            # Not left half-imported: a DAG file importing this module then sees the plugin's own error again.
            sys.modules.pop(mod_name, None)
            log.exception("Failed to import plugin %s", file_path)
            errors[file_path] = f"{type(exc).__name__}: {exc}"
    return plugins, errors


def _load_package(package: str) -> tuple[list[AirflowPlugin], dict[str, str]]:
    """Plugins of every module of an importable package, imported under their package names (how Airflow loads
    `airflow.example_dags.plugins` when `[core] load_examples` is on)."""
    plugins: list[AirflowPlugin] = []
    errors: dict[str, str] = {}
    folder = next(iter(importlib.import_module(package).__path__))
    for file_path in plugin_files(folder):
        if Path(file_path).name == "__init__.py":
            continue
        try:
            module = importlib.import_module(f"{package}.{Path(file_path).stem}")
            for value in list(module.__dict__.values()):
                if is_valid_plugin(value):
                    plugin: AirflowPlugin = value()
                    plugin.source = PluginsDirectorySource(file_path, folder)
                    plugins.append(plugin)
        except Exception as exc:
            log.exception("Failed to import plugin %s", file_path)
            errors[file_path] = f"{type(exc).__name__}: {exc}"
    return plugins, errors


# Packages whose modules are plugin sources besides the plugins folder (add_plugin_package).
_PLUGIN_PACKAGES: list[str] = []


def add_plugin_package(package: str) -> None:
    """Loads plugins from the modules of `package` too (e.g. Airflow's example plugins, which Airflow's example
    DAGs import as `airflow.example_dags.plugins.<module>`); forgets what was loaded so far."""
    if package not in _PLUGIN_PACKAGES:
        _PLUGIN_PACKAGES.append(package)
        reset()


def may_declare_entry_points(group: str) -> bool:
    """Whether some installed distribution may declare entry points of `group`, from a glance at the
    `entry_points.txt` files where importlib.metadata finds distributions (the directories on `sys.path`). It
    spares a process without plugin distributions the import of importlib.metadata (a tenth of a `dags test`'s
    start-up); what it cannot rule out (a zip or an egg on `sys.path`, another distribution finder) counts as
    "may"."""
    if any(hasattr(f, "find_distributions") and f is not importlib.machinery.PathFinder for f in sys.meta_path):
        return True
    for entry in sys.path:
        folder = entry or "."
        try:
            with os.scandir(folder) as found:
                names = [e.name for e in found if e.name.endswith((".dist-info", ".egg-info", ".egg"))]
        except NotADirectoryError:
            return True  # a zip file: its distributions are not read here
        except OSError:
            continue  # a missing folder holds no distribution (importlib.metadata skips it too)
        for name in names:
            if name.endswith(".egg"):
                return True
            try:
                with open(os.path.join(folder, name, "entry_points.txt"), encoding="utf-8", errors="replace") as f:
                    if group in f.read():
                        return True
            except OSError:
                continue  # no entry points (or an .egg-info file, which has none)
    return False


def _load_entry_points() -> tuple[list[AirflowPlugin], dict[str, str]]:
    plugins: list[AirflowPlugin] = []
    errors: dict[str, str] = {}
    if not may_declare_entry_points("airflow.plugins"):
        return plugins, errors
    import importlib.metadata

    for dist in importlib.metadata.distributions():
        for entry_point in dist.entry_points:
            if entry_point.group != "airflow.plugins":
                continue
            try:
                plugin_class = entry_point.load()
                if not is_valid_plugin(plugin_class):
                    continue
                plugin: AirflowPlugin = plugin_class()
                plugin.source = EntryPointSource(entry_point, dist)
                plugins.append(plugin)
            except Exception as exc:
                log.exception("Failed to import plugin %s", entry_point.name)
                errors[entry_point.module] = f"{type(exc).__name__}: {exc}"
    return plugins, errors


@functools.cache
def _loaded() -> tuple[tuple[AirflowPlugin, ...], dict[str, str]]:
    from riir_airflow import core_settings as settings

    plugins: list[AirflowPlugin] = []
    errors: dict[str, str] = {}
    names: set[str | None] = set()
    sources = [
        _load_directory(settings.plugins_folder()),
        *(_load_package(package) for package in _PLUGIN_PACKAGES),
        _load_entry_points(),
    ]
    for found, found_errors in sources:
        for plugin in found:
            where = str(plugin.source) if plugin.source else plugin.name or ""
            if plugin.name in names:
                message = f"Plugin {plugin.name!r} already registered, skipping"
                log.warning(message)
                errors[where] = message
                continue
            names.add(plugin.name)
            try:
                plugin.on_load()
            except Exception as exc:
                log.exception("Failed to load plugin %s", plugin.name)
                errors[where] = str(exc)
                continue
            plugins.append(plugin)
        errors.update(found_errors)
    if plugins:
        log.debug("Loaded %d plugin(s): %s", len(plugins), ", ".join(str(p.name) for p in plugins))
    return tuple(plugins), errors


def get_plugins() -> list[AirflowPlugin]:
    """Every plugin loaded in this process (loading them on first use)."""
    return list(_loaded()[0])


def import_errors() -> dict[str, str]:
    """Plugin files / entry point modules that failed to load -> the error."""
    return dict(_loaded()[1])


def ensure_plugins_loaded() -> None:
    """Loads the plugins and makes their macros available to templates (idempotent)."""
    integrate_macros_plugins()


def reset() -> None:
    """Forgets the loaded plugins (tests, or a process that changed its plugins folder)."""
    _loaded.cache_clear()
    integrate_macros_plugins.cache_clear()
    _macro_modules.clear()
    from riir_airflow.plugins import listeners

    listeners.get_listener_manager.cache_clear()


def _registered(attribute: str) -> dict[str, Any]:
    return {qualname(cls): cls for plugin in get_plugins() for cls in getattr(plugin, attribute)}


def registered_timetables() -> dict[str, Any]:
    return _registered("timetables")


def registered_priority_weight_strategies() -> dict[str, Any]:
    return _registered("priority_weight_strategies")


def global_operator_extra_links() -> list[Any]:
    return [link for plugin in get_plugins() for link in plugin.global_operator_extra_links]


def operator_extra_links() -> list[Any]:
    return [link for plugin in get_plugins() for link in plugin.operator_extra_links]


def make_module(name: str, objects: Iterable[Any]) -> types.ModuleType | None:
    objects = list(objects)
    if not objects:
        return None
    module = types.ModuleType(name.lower())
    module.__dict__.update((obj.__name__, obj) for obj in objects)
    return module


# Each plugin's macros as one module, by plugin name: `{{ macros.<plugin name>.<macro>() }}`. The authoring macros
# module looks names up here (its module `__getattr__`), so plugins never import authoring code.
_macro_modules: dict[str, types.ModuleType] = {}


@functools.cache
def integrate_macros_plugins() -> None:
    """Makes one module per plugin with macros, reachable as `macros.<plugin name>` in templates."""
    for plugin in get_plugins():
        if plugin.name is None:
            raise AirflowPluginException("Invalid plugin name")
        module = make_module(f"airflow.sdk.execution_time.macros.{plugin.name}", plugin.macros)
        if module is not None:
            sys.modules[module.__name__] = module
            _macro_modules[plugin.name] = module


def loaded_macro_modules() -> dict[str, types.ModuleType]:
    """The plugin macro modules made so far (none before the process loaded its plugins)."""
    return _macro_modules


def _describe(attr: str, plugin: AirflowPlugin) -> Any:
    value = getattr(plugin, attr)
    if attr in ("global_operator_extra_links", "operator_extra_links"):
        return [f"<{qualname(link)} object>" for link in value]
    if attr in ("macros", "timetables", "priority_weight_strategies"):
        return [qualname(item) for item in value]
    if attr == "listeners":
        return [item.__name__ if inspect.ismodule(item) else qualname(item) for item in value]
    if attr == "appbuilder_views":
        return [{**view, "view": qualname(view["view"]) if "view" in view else None} for view in value]
    if attr == "flask_blueprints":
        return [f"<{qualname(bp)}: name={bp.name!r} import_name={bp.import_name!r}>" for bp in value]
    if attr == "fastapi_apps":
        return [{**app, "app": qualname(app["app"]) if "app" in app else None} for app in value]
    if attr == "fastapi_root_middlewares":
        # args and kwargs are left out: they may hold secrets.
        hidden = ("args", "kwargs")
        return [
            {k: (v if k != "middleware" else qualname(m["middleware"])) for k, v in m.items() if k not in hidden}
            for m in value
        ]
    if attr == "source":
        return str(value) if value is not None else None
    return value


# What `airflow plugins` / `get_plugin_info()` report for each plugin, besides its name (Airflow 3.3's set).
INFO_ATTRIBUTES = (
    "macros", "admin_views", "flask_blueprints", "fastapi_apps", "fastapi_root_middlewares", "external_views",
    "react_apps", "menu_links", "appbuilder_views", "appbuilder_menu_items", "global_operator_extra_links",
    "operator_extra_links", "source", "timetables", "listeners", "priority_weight_strategies",
)  # fmt: skip


def get_plugin_info(attrs_to_dump: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """One JSON-ready dict per loaded plugin: `name` plus each attribute, described as Airflow's manager does."""
    attrs = list(attrs_to_dump or INFO_ATTRIBUTES)
    return [{"name": plugin.name, **{attr: _describe(attr, plugin) for attr in attrs}} for plugin in get_plugins()]


def integrate_listener_plugins(listener_manager: Any) -> None:
    """Registers every plugin's listeners with `listener_manager` (Airflow's function of the same name)."""
    for plugin in get_plugins():
        if plugin.name is None:
            raise AirflowPluginException("Invalid plugin name")
        for listener in plugin.listeners:
            listener_manager.add_listener(listener)


# Airflow's names for the registries above (airflow.plugins_manager).
get_import_errors = import_errors
get_timetables_plugins = registered_timetables
get_priority_weight_strategy_plugins = registered_priority_weight_strategies
get_global_operator_extra_links = global_operator_extra_links
get_operator_extra_links = operator_extra_links
