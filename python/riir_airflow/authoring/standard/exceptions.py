"""The standard provider's exceptions (`airflow.providers.standard.exceptions`)."""

from __future__ import annotations

from riir_airflow.exceptions import AirflowException


class AirflowExternalTaskSensorException(AirflowException):
    """Base exception for all ExternalTaskSensor related errors."""


class ExternalDagNotFoundError(AirflowExternalTaskSensorException):
    """Raised when the external DAG does not exist."""


class ExternalDagDeletedError(AirflowExternalTaskSensorException):
    """Raised when the external DAG was deleted."""


class ExternalTaskNotFoundError(AirflowExternalTaskSensorException):
    """Raised when the external task does not exist."""


class ExternalTaskGroupNotFoundError(AirflowExternalTaskSensorException):
    """Raised when the external task group does not exist."""


class ExternalTaskFailedError(AirflowExternalTaskSensorException):
    """Raised when the external task failed."""


class ExternalTaskGroupFailedError(AirflowExternalTaskSensorException):
    """Raised when the external task group failed."""


class ExternalDagFailedError(AirflowExternalTaskSensorException):
    """Raised when the external DAG failed."""


class DuplicateStateError(AirflowExternalTaskSensorException):
    """Raised when duplicate states are provided across allowed, skipped and failed states."""


class HITLTriggerEventError(Exception):
    """Raised when the human-in-the-loop resume event carries an error."""


class HITLTimeoutError(HITLTriggerEventError):
    """Raised when a HITLOperator's response timeout passed without an answer and without defaults."""


class HITLRejectException(AirflowException):
    """Raised when an ApprovalOperator receives "Reject" and fail_on_reject is set."""
