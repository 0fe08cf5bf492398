"""Airflow's `LoggingMixin`: a `log` property named after the class, as provider hooks and triggers expect."""

from __future__ import annotations

import logging
import re
from typing import Any

ANSI_ESCAPE = re.compile(r"\x1B[@-_][0-?]*[ -/]*[@-~]")


def remove_escape_codes(text: str) -> str:
    """Removes ANSI escape codes (colours) from `text`."""
    return ANSI_ESCAPE.sub("", text)


class LoggingMixin:
    """`self.log` is the logger `<module>.<ClassName>` (or `_logger_name` when a subclass sets one)."""

    _log: logging.Logger | None = None
    _logger_name: str | None = None
    _log_config_logger_name: str | None = None

    def __init__(self, context: Any = None) -> None:
        self._context = context

    @classmethod
    def _create_logger_name(
        cls, logged_class: type[object], log_config_logger_name: str | None, class_logger_name: str | None
    ) -> str:
        if class_logger_name is not None:
            return class_logger_name if not log_config_logger_name else f"{log_config_logger_name}.{class_logger_name}"
        name = f"{logged_class.__module__}.{logged_class.__name__}"
        return f"{log_config_logger_name}.{name}" if log_config_logger_name else name

    @property
    def log(self) -> logging.Logger:
        if self._log is None:
            self._log = logging.getLogger(
                self._create_logger_name(type(self), self._log_config_logger_name, self._logger_name)
            )
        return self._log
