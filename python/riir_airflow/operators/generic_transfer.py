"""Airflow's `airflow.operators.generic_transfer`: its names moved to a provider distribution (resolved with a warning).

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.deprecation_tools import getattr_with_deprecation
from riir_airflow.import_paths import MOVED_TO_PROVIDERS

_MOVED = MOVED_TO_PROVIDERS["operators.generic_transfer"]


def __getattr__(name: str) -> object:
    return getattr_with_deprecation(_MOVED, "airflow.operators.generic_transfer", {}, "", name)
