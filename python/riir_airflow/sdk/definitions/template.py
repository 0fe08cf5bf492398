"""Airflow's `airflow.sdk.definitions.template`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.templating import literal as literal

__all__ = [
    "literal",
]
