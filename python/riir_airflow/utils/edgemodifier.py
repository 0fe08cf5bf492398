"""Airflow's `airflow.utils.edgemodifier`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.edges import Label as Label

__all__ = [
    "Label",
]
