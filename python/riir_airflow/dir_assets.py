"""Directories as data (a riir-airflow feature; Airflow has no equivalent): `DirAsset` outlets publish a manifest of
their files, and consumers work on just the files that changed.

    from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune
"""

from riir_airflow.authoring.dir_asset import DirAsset
from riir_airflow.runtime.manifests import (
    Manifest,
    ManifestDiff,
    ManifestStore,
    default_store,
    diff_since_last_consumed,
    prune,
)

__all__ = [
    "DirAsset",
    "Manifest",
    "ManifestDiff",
    "ManifestStore",
    "default_store",
    "diff_since_last_consumed",
    "prune",
]
