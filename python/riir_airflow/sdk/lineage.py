"""Airflow's `airflow.sdk.lineage`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.lineage import AssetLineageInfo as AssetLineageInfo
from riir_airflow.authoring.lineage import ExtraLineageInfo as ExtraLineageInfo
from riir_airflow.authoring.lineage import HookLineage as HookLineage
from riir_airflow.authoring.lineage import HookLineageCollector as HookLineageCollector
from riir_airflow.authoring.lineage import HookLineageReader as HookLineageReader
from riir_airflow.authoring.lineage import NoOpCollector as NoOpCollector
from riir_airflow.authoring.lineage import get_hook_lineage_collector as get_hook_lineage_collector

__all__ = [
    "AssetLineageInfo",
    "ExtraLineageInfo",
    "HookLineage",
    "HookLineageCollector",
    "HookLineageReader",
    "NoOpCollector",
    "get_hook_lineage_collector",
]
