"""Airflow's `airflow.sdk.definitions.asset`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.assets import Asset as Asset
from riir_airflow._internal.assets import AssetAlias as AssetAlias
from riir_airflow._internal.assets import AssetAll as AssetAll
from riir_airflow._internal.assets import AssetAny as AssetAny
from riir_airflow._internal.assets import AssetWatcher as AssetWatcher
from riir_airflow._internal.assets import Dataset as Dataset
from riir_airflow._internal.assets import Metadata as Metadata
from riir_airflow._internal.assets import Model as Model

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
