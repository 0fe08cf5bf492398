"""Airflow's `airflow.sdk.timezone`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.timezone import coerce_datetime as coerce_datetime
from riir_airflow.schedules.timezone import convert_to_utc as convert_to_utc
from riir_airflow.schedules.timezone import datetime as datetime
from riir_airflow.schedules.timezone import from_timestamp as from_timestamp
from riir_airflow.schedules.timezone import is_localized as is_localized
from riir_airflow.schedules.timezone import is_naive as is_naive
from riir_airflow.schedules.timezone import make_aware as make_aware
from riir_airflow.schedules.timezone import make_naive as make_naive
from riir_airflow.schedules.timezone import parse as parse
from riir_airflow.schedules.timezone import parse_timezone as parse_timezone
from riir_airflow.schedules.timezone import utc as utc
from riir_airflow.schedules.timezone import utcnow as utcnow

__all__ = [
    "coerce_datetime",
    "convert_to_utc",
    "datetime",
    "from_timestamp",
    "is_localized",
    "is_naive",
    "make_aware",
    "make_naive",
    "parse",
    "parse_timezone",
    "utc",
    "utcnow",
]
