"""Airflow's `airflow.sdk.definitions.asset`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.assets import Asset as Asset
from riir_airflow.schedules.assets import AssetAlias as AssetAlias
from riir_airflow.schedules.assets import AssetAll as AssetAll
from riir_airflow.schedules.assets import AssetAny as AssetAny
from riir_airflow.schedules.assets import AssetWatcher as AssetWatcher
from riir_airflow.schedules.assets import Dataset as Dataset
from riir_airflow.schedules.assets import Metadata as Metadata
from riir_airflow.schedules.assets import Model as Model

__all__ = [
    "Asset",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetWatcher",
    "Dataset",
    "Metadata",
    "Model",
]
