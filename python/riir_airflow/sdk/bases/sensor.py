"""Airflow's `airflow.sdk.bases.sensor`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.sensor import BaseSensorOperator as BaseSensorOperator
from riir_airflow.authoring.sensor import PokeReturnValue as PokeReturnValue
from riir_airflow.authoring.sensor import poke_mode_only as poke_mode_only

__all__ = [
    "BaseSensorOperator",
    "PokeReturnValue",
    "poke_mode_only",
]
