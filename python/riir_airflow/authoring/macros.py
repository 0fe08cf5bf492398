"""The `macros` available in templates (`{{ macros.ds_add(ds, 1) }}`), as Airflow's task SDK defines them."""

from __future__ import annotations

import datetime as _dt
import json
import time
import uuid
from datetime import datetime, timedelta
from random import random
from typing import TYPE_CHECKING as TYPE_CHECKING  # Airflow's macros namespace has it (import parity)
from typing import Any as Any

import dateutil  # type: ignore[import-untyped]
import pendulum

from riir_airflow.authoring import yaml_module as yaml

# `from __future__ import annotations` puts this feature object in Airflow's macros namespace too (import parity).
FUTURE_ANNOTATIONS = __import__("__future__").annotations

__all__ = [
    "datetime",
    "datetime_diff_for_humans",
    "dateutil",
    "ds_add",
    "ds_format",
    "ds_format_locale",
    "json",
    "random",
    "time",
    "timedelta",
    "uuid",
    "yaml",
]


def ds_add(ds: str, days: int) -> str:
    """`ds_add('2015-01-01', 5)` -> `'2015-01-06'`."""
    if not days:
        return str(ds)
    return (_dt.datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=days)).strftime("%Y-%m-%d")


def ds_format(ds: str, input_format: str, output_format: str) -> str:
    """`ds_format('2015-01-01', '%Y-%m-%d', '%m-%d-%y')` -> `'01-01-15'`."""
    return _dt.datetime.strptime(str(ds), input_format).strftime(output_format)


def datetime_diff_for_humans(dt: Any, since: Any = None) -> str:
    """A human-readable difference between two datetimes (`since` defaults to now)."""
    return str(pendulum.instance(dt).diff_for_humans(pendulum.instance(since) if since else None))


def ds_format_locale(ds: str, input_format: str, output_format: str, locale: Any = None) -> str:
    """`ds` re-formatted with a Babel (LDML) pattern in a locale (default LC_TIME, else en_US); needs Babel, which
    is imported only here, as in Airflow."""
    from babel import Locale  # type: ignore[import-not-found,unused-ignore]
    from babel.dates import LC_TIME, format_datetime  # type: ignore[import-not-found,unused-ignore]

    return str(format_datetime(datetime.strptime(str(ds), input_format), format=output_format,
                               locale=locale or LC_TIME or Locale("en_US")))  # fmt: skip


def __getattr__(name: str) -> Any:
    """`macros.<plugin name>`: the macros of a loaded plugin (see plugins.manager.integrate_macros_plugins)."""
    if not name.startswith("__"):
        from riir_airflow.plugins.manager import loaded_macro_modules

        module = loaded_macro_modules().get(name)
        if module is not None:
            return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
