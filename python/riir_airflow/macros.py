"""Airflow's `airflow.macros`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.macros import FUTURE_ANNOTATIONS as annotations
from riir_airflow.authoring.macros import TYPE_CHECKING as TYPE_CHECKING
from riir_airflow.authoring.macros import Any as Any
from riir_airflow.authoring.macros import datetime as datetime
from riir_airflow.authoring.macros import datetime_diff_for_humans as datetime_diff_for_humans
from riir_airflow.authoring.macros import dateutil as dateutil
from riir_airflow.authoring.macros import ds_add as ds_add
from riir_airflow.authoring.macros import ds_format as ds_format
from riir_airflow.authoring.macros import ds_format_locale as ds_format_locale
from riir_airflow.authoring.macros import json as json
from riir_airflow.authoring.macros import random as random
from riir_airflow.authoring.macros import time as time
from riir_airflow.authoring.macros import timedelta as timedelta
from riir_airflow.authoring.macros import uuid as uuid
from riir_airflow.authoring.macros import yaml as yaml

__all__ = [
    "TYPE_CHECKING",
    "Any",
    "annotations",
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
