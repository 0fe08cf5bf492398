"""`/config`: the configuration, when `[api] expose_config` allows it (sensitive values are always masked)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, HTTPException

from riir_airflow.broker.auth import Role
from riir_airflow.broker.deps import Config, requires
from riir_airflow.broker.route_index import ApiRouter
from riir_airflow.broker.schemas import Config as ConfigModel
from riir_airflow.config import AirflowConfigParser

router = ApiRouter(dependencies=[Depends(requires(Role.VIEWER, Role.OP))], tags=["Config"])


def _check(config: AirflowConfigParser) -> None:
    value = (config.get("api", "expose_config", fallback="False") or "").lower()
    if value not in ("true", "1", "t", "non-sensitive-only"):
        raise HTTPException(
            403,
            "Your Airflow administrator chose not to expose the configuration, most likely for security reasons.",
        )


def _value(config: AirflowConfigParser, section: str, key: str, value: str | None) -> str:
    return "< hidden >" if config.is_sensitive(section, key) else ("" if value is None else str(value))


@router.get("/config", response_model=ConfigModel)
async def get_config(config: Config, section: str | None = None) -> dict[str, Any]:
    _check(config)
    if section is not None and section not in config.sections():
        raise HTTPException(404, f"Section {section} not found.")
    sections: dict[str, list[dict[str, Any]]] = {}
    for item in config.iter_values(section):
        sections.setdefault(item.section, []).append(
            {"key": item.key, "value": _value(config, item.section, item.key, item.value)}
        )
    return {"sections": [{"name": name, "options": options} for name, options in sections.items()]}


@router.get("/config/section/{section}/option/{option}", response_model=ConfigModel)
async def get_config_value(config: Config, section: str, option: str) -> dict[str, Any]:
    _check(config)
    if not config.has_option(section, option):
        raise HTTPException(404, f"Option [{section}/{option}] not found.")
    value = config.get(section, option, fallback=None)
    return {
        "sections": [{"name": section, "options": [{"key": option, "value": _value(config, section, option, value)}]}]
    }
