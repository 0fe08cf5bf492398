"""Airflow's `airflow.providers.standard.exceptions`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.standard.exceptions import (
    AirflowExternalTaskSensorException as AirflowExternalTaskSensorException,
)
from riir_airflow.authoring.standard.exceptions import DuplicateStateError as DuplicateStateError
from riir_airflow.authoring.standard.exceptions import ExternalDagDeletedError as ExternalDagDeletedError
from riir_airflow.authoring.standard.exceptions import ExternalDagFailedError as ExternalDagFailedError
from riir_airflow.authoring.standard.exceptions import ExternalDagNotFoundError as ExternalDagNotFoundError
from riir_airflow.authoring.standard.exceptions import ExternalTaskFailedError as ExternalTaskFailedError
from riir_airflow.authoring.standard.exceptions import ExternalTaskGroupFailedError as ExternalTaskGroupFailedError
from riir_airflow.authoring.standard.exceptions import ExternalTaskGroupNotFoundError as ExternalTaskGroupNotFoundError
from riir_airflow.authoring.standard.exceptions import ExternalTaskNotFoundError as ExternalTaskNotFoundError
from riir_airflow.authoring.standard.exceptions import HITLRejectException as HITLRejectException
from riir_airflow.authoring.standard.exceptions import HITLTimeoutError as HITLTimeoutError
from riir_airflow.authoring.standard.exceptions import HITLTriggerEventError as HITLTriggerEventError

__all__ = [
    "AirflowExternalTaskSensorException",
    "DuplicateStateError",
    "ExternalDagDeletedError",
    "ExternalDagFailedError",
    "ExternalDagNotFoundError",
    "ExternalTaskFailedError",
    "ExternalTaskGroupFailedError",
    "ExternalTaskGroupNotFoundError",
    "ExternalTaskNotFoundError",
    "HITLRejectException",
    "HITLTimeoutError",
    "HITLTriggerEventError",
]
