"""Airflow's `airflow.models.asset`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.resource_details import expand_alias_to_assets as expand_alias_to_assets

__all__ = [
    "expand_alias_to_assets",
]
