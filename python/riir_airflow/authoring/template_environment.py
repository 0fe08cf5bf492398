"""Airflow's Jinja environments for templates: sandboxed (renders strings) or native (renders Python objects),
both with Airflow's filters (`ds`, `ts_nodash`, ...) and its attribute rule."""

from __future__ import annotations

import datetime
from typing import Any

import jinja2.nativetypes
import jinja2.sandbox


def _ds(value: datetime.date | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d")


def _ds_nodash(value: datetime.date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%d")


def _ts(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _ts_nodash(value: datetime.date | None) -> str | None:
    return None if value is None else value.strftime("%Y%m%dT%H%M%S")


def _ts_nodash_with_tz(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat().replace("-", "").replace(":", "")


FILTERS = {
    "ds": _ds,
    "ds_nodash": _ds_nodash,
    "ts": _ts,
    "ts_nodash": _ts_nodash,
    "ts_nodash_with_tz": _ts_nodash_with_tz,
}


class _AirflowEnvironmentMixin:
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters.update(FILTERS)  # type: ignore[attr-defined]

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        # Single-underscore attributes are allowed (as in Airflow); dunder/internal ones are not.
        return not jinja2.sandbox.is_internal_attribute(obj, attr)


class NativeEnvironment(_AirflowEnvironmentMixin, jinja2.nativetypes.NativeEnvironment):
    """Renders to Python objects (`render_template_as_native_obj=True`)."""


class SandboxedEnvironment(_AirflowEnvironmentMixin, jinja2.sandbox.SandboxedEnvironment):
    """Renders to strings, sandboxed."""
