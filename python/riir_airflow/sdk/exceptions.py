"""Airflow's `airflow.sdk.exceptions`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.exceptions import AirflowBadRequest as AirflowBadRequest
from riir_airflow.exceptions import AirflowConfigException as AirflowConfigException
from riir_airflow.exceptions import AirflowDagCycleException as AirflowDagCycleException
from riir_airflow.exceptions import AirflowException as AirflowException
from riir_airflow.exceptions import AirflowFailException as AirflowFailException
from riir_airflow.exceptions import (
    AirflowInactiveAssetInInletOrOutletException as AirflowInactiveAssetInInletOrOutletException,
)
from riir_airflow.exceptions import AirflowNotFoundException as AirflowNotFoundException
from riir_airflow.exceptions import AirflowOptionalProviderFeatureException as AirflowOptionalProviderFeatureException
from riir_airflow.exceptions import AirflowRescheduleException as AirflowRescheduleException
from riir_airflow.exceptions import AirflowRuntimeError as AirflowRuntimeError
from riir_airflow.exceptions import AirflowSecretsBackendAccessDenied as AirflowSecretsBackendAccessDenied
from riir_airflow.exceptions import AirflowSensorTimeout as AirflowSensorTimeout
from riir_airflow.exceptions import AirflowSkipException as AirflowSkipException
from riir_airflow.exceptions import AirflowTaskTerminated as AirflowTaskTerminated
from riir_airflow.exceptions import AirflowTaskTimeout as AirflowTaskTimeout
from riir_airflow.exceptions import AirflowTimetableInvalid as AirflowTimetableInvalid
from riir_airflow.exceptions import DagRunTriggerException as DagRunTriggerException
from riir_airflow.exceptions import DownstreamTasksSkipped as DownstreamTasksSkipped
from riir_airflow.exceptions import DuplicateTaskIdFound as DuplicateTaskIdFound
from riir_airflow.exceptions import ErrorType as ErrorType
from riir_airflow.exceptions import FailFastDagInvalidTriggerRule as FailFastDagInvalidTriggerRule
from riir_airflow.exceptions import NodeNotFound as NodeNotFound
from riir_airflow.exceptions import ParamValidationError as ParamValidationError
from riir_airflow.exceptions import RemovedInAirflow4Warning as RemovedInAirflow4Warning
from riir_airflow.exceptions import TaskAlreadyInTaskGroup as TaskAlreadyInTaskGroup
from riir_airflow.exceptions import TaskAlreadyRunningError as TaskAlreadyRunningError
from riir_airflow.exceptions import TaskAwaitingInput as TaskAwaitingInput
from riir_airflow.exceptions import TaskDeferralError as TaskDeferralError
from riir_airflow.exceptions import TaskDeferralTimeout as TaskDeferralTimeout
from riir_airflow.exceptions import TaskDeferred as TaskDeferred
from riir_airflow.exceptions import TaskNotFound as TaskNotFound
from riir_airflow.exceptions import UnmappableXComTypePushed as UnmappableXComTypePushed
from riir_airflow.exceptions import XComForMappingNotPushed as XComForMappingNotPushed
from riir_airflow.exceptions import XComNotFound as XComNotFound

__all__ = [
    "AirflowBadRequest",
    "AirflowConfigException",
    "AirflowDagCycleException",
    "AirflowException",
    "AirflowFailException",
    "AirflowInactiveAssetInInletOrOutletException",
    "AirflowNotFoundException",
    "AirflowOptionalProviderFeatureException",
    "AirflowRescheduleException",
    "AirflowRuntimeError",
    "AirflowSecretsBackendAccessDenied",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTerminated",
    "AirflowTaskTimeout",
    "AirflowTimetableInvalid",
    "DagRunTriggerException",
    "DownstreamTasksSkipped",
    "DuplicateTaskIdFound",
    "ErrorType",
    "FailFastDagInvalidTriggerRule",
    "NodeNotFound",
    "ParamValidationError",
    "RemovedInAirflow4Warning",
    "TaskAlreadyInTaskGroup",
    "TaskAlreadyRunningError",
    "TaskAwaitingInput",
    "TaskDeferralError",
    "TaskDeferralTimeout",
    "TaskDeferred",
    "TaskNotFound",
    "UnmappableXComTypePushed",
    "XComForMappingNotPushed",
    "XComNotFound",
]
