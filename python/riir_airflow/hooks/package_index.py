"""Airflow's `airflow.hooks.package_index`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.hooks import PackageIndexHook as PackageIndexHook

__all__ = [
    "PackageIndexHook",
]
