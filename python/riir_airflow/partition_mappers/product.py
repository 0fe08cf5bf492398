"""Airflow's `airflow.partition_mappers.product`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.schedules.partition_mappers import ProductMapper as ProductMapper

__all__ = [
    "ProductMapper",
]
