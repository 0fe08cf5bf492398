"""BaseHook: the base of provider hooks; connections are looked up through riir's secrets chain."""

from __future__ import annotations

import logging
from typing import Any

from riir_airflow.authoring.connection import Connection


class BaseHook:
    """Subclasses implement `get_conn()`; `get_connection(conn_id)` finds the Connection."""

    conn_name_attr: str = ""
    default_conn_name: str = "default_conn_id"
    conn_type: str = ""
    hook_name: str = ""

    def __init__(self, logger_name: str | None = None) -> None:
        self._log_config_logger_name = "airflow.task.hooks"
        self._logger_name = logger_name

    @property
    def log(self) -> logging.Logger:
        name = self._logger_name or f"{self._log_config_logger_name}.{type(self).__module__}.{type(self).__name__}"
        return logging.getLogger(name)

    @classmethod
    def get_connection(cls, conn_id: str) -> Connection:
        return Connection.get(conn_id)

    @classmethod
    async def aget_connection(cls, conn_id: str) -> Connection:
        return Connection.get(conn_id)

    @classmethod
    def get_hook(cls, conn_id: str, hook_params: dict[str, Any] | None = None) -> Any:
        return cls.get_connection(conn_id).get_hook(hook_params=hook_params)

    def get_conn(self) -> Any:
        raise NotImplementedError()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        return {}

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {}
