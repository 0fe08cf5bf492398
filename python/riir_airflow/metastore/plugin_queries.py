"""Plugin information apps publish (one JSON document per app row) and the broker reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from riir_airflow.metastore.queries import Db, transaction


async def publish_app_plugins(
    db: Db, app_id: str, plugins: list[dict[str, Any]], import_errors: dict[str, str]
) -> None:
    """Stores what the app's plugin manager loaded (and what failed) on its app row."""
    async with transaction(db) as conn:
        await conn.execute(
            "UPDATE app SET plugins = $2, plugin_import_errors = $3 WHERE id = $1", app_id, plugins, import_errors
        )


@dataclass(frozen=True, slots=True)
class PublishedPlugins:
    """Plugins and plugin import errors of the apps that are not stopped, each plugin once (by name)."""

    plugins: list[dict[str, Any]]
    import_errors: dict[str, str]


async def published_plugins(db: Db) -> PublishedPlugins:
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT plugins, plugin_import_errors FROM app WHERE state <> 'stopped' ORDER BY last_heartbeat DESC"
        )
    by_name: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    for row in rows:  # the most recently alive app wins when two publish a plugin of the same name
        for plugin in row["plugins"] or []:
            by_name.setdefault(str(plugin.get("name")), plugin)
        for source, error in (row["plugin_import_errors"] or {}).items():
            errors.setdefault(source, error)
    return PublishedPlugins([by_name[name] for name in sorted(by_name)], errors)
