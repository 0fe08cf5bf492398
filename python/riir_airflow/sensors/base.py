"""Airflow's `airflow.sensors.base`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.sensor import BaseSensorOperator as BaseSensorOperator
from riir_airflow._internal.sensor import PokeReturnValue as PokeReturnValue
from riir_airflow._internal.sensor import poke_mode_only as poke_mode_only

__all__ = [
    "BaseSensorOperator",
    "PokeReturnValue",
    "poke_mode_only",
]
