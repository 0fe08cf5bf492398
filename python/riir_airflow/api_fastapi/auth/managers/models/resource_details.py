"""Airflow's `airflow.api_fastapi.auth.managers.models.resource_details`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.resource_details import AccessView as AccessView
from riir_airflow.authoring.resource_details import AssetAliasDetails as AssetAliasDetails
from riir_airflow.authoring.resource_details import AssetDetails as AssetDetails

__all__ = [
    "AccessView",
    "AssetAliasDetails",
    "AssetDetails",
]
