"""Airflow's `airflow.sdk.definitions.template`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.templating import literal as literal

__all__ = [
    "literal",
]
