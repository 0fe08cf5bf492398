"""Airflow's `airflow.utils.operator_resources`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.operator_resources import CpuResource as CpuResource
from riir_airflow.authoring.operator_resources import DiskResource as DiskResource
from riir_airflow.authoring.operator_resources import GpuResource as GpuResource
from riir_airflow.authoring.operator_resources import RamResource as RamResource
from riir_airflow.authoring.operator_resources import Resource as Resource
from riir_airflow.authoring.operator_resources import Resources as Resources

__all__ = [
    "CpuResource",
    "DiskResource",
    "GpuResource",
    "RamResource",
    "Resource",
    "Resources",
]
