"""Airflow's `airflow.sensors.external_task`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.links import ExternalDagLink as ExternalDagLink
from riir_airflow.authoring.standard.sensors import ExternalTaskMarker as ExternalTaskMarker
from riir_airflow.authoring.standard.sensors import ExternalTaskSensor as ExternalTaskSensor

__all__ = [
    "ExternalDagLink",
    "ExternalTaskMarker",
    "ExternalTaskSensor",
]
