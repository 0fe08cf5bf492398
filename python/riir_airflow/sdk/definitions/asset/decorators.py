"""Airflow's `airflow.sdk.definitions.asset.decorators`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.asset_decorator import AssetDefinition as AssetDefinition
from riir_airflow.authoring.asset_decorator import MultiAssetDefinition as MultiAssetDefinition
from riir_airflow.authoring.asset_decorator import asset as asset

__all__ = [
    "AssetDefinition",
    "MultiAssetDefinition",
    "asset",
]
