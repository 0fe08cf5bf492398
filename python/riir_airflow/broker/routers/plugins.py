"""`/plugins` and `/plugins/importErrors`: the plugins of the DAG apps, as the apps published them on their app
rows (metastore/plugin_queries.py). The broker never imports plugin code: a plugin shipped next to DAG files only
ever runs inside its app."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Depends
from pydantic import ValidationError

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Page, Pool, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import (
    PluginCollectionResponse,
    PluginImportErrorCollectionResponse,
    PluginResponse,
)
from riir_airflow.metastore.plugin_queries import published_plugins

log = logging.getLogger(__name__)
router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.ADMIN))], tags=["Plugin"])


def _response(info: dict[str, Any]) -> PluginResponse | None:
    """Airflow's PluginResponse of one plugin (its `external_views` include the appbuilder menu items); a plugin
    whose published info does not fit is skipped with a warning, as Airflow's endpoint does."""
    data = {**info, "external_views": [*info.get("external_views", []), *info.get("appbuilder_menu_items", [])]}
    data["source"] = str(data.get("source"))
    try:
        return PluginResponse.model_validate(data)
    except ValidationError as exc:
        log.warning("Skipping invalid plugin %s: %s", info.get("name", "<unknown>"), exc)
        return None


@router.get("/plugins", response_model=PluginCollectionResponse)
async def get_plugins(pool: Pool, page: Page) -> dict[str, Any]:
    published = await published_plugins(pool)
    valid = [p for p in map(_response, published.plugins) if p is not None]
    return {"plugins": valid[page.offset : page.offset + page.limit], "total_entries": len(valid)}


@router.get("/plugins/importErrors", response_model=PluginImportErrorCollectionResponse)
async def get_plugin_import_errors(pool: Pool) -> dict[str, Any]:
    errors = (await published_plugins(pool)).import_errors
    return {
        "import_errors": [{"source": source, "error": error} for source, error in sorted(errors.items())],
        "total_entries": len(errors),
    }
