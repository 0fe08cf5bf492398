"""Airflow's exception classes, defined once. Errors from the Rust core are raised as these classes.

Names and base classes follow Airflow 3 (`airflow.sdk.exceptions` and `airflow.exceptions`).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, NamedTuple


class AirflowException(Exception):
    """Base class for Airflow's errors; `status_code` is what the REST API answers with."""

    status_code = 500


class AirflowBadRequest(AirflowException):
    status_code = 400


class AirflowNotFoundException(AirflowException):
    status_code = 404


class AirflowConfigException(AirflowException):
    """A configuration value is missing or invalid."""


class AirflowRuntimeError(Exception):
    """An error reported by the task runtime."""


# --- raised by or for tasks --------------------------------------------------------------------------------
class AirflowSkipException(AirflowException):
    """Raise in a task to mark it skipped."""


class AirflowFailException(AirflowException):
    """Raise in a task to fail it without retrying."""


class AirflowSensorTimeout(AirflowException):
    """A sensor ran out of time; the task fails without retrying."""


class AirflowRescheduleException(AirflowException):
    """A reschedule-mode sensor gives its slot back until `reschedule_date`."""

    def __init__(self, reschedule_date: Any) -> None:
        super().__init__()
        self.reschedule_date = reschedule_date


class AirflowTaskTimeout(BaseException):
    """`execution_timeout` ran out. A BaseException so that `except Exception` in task code cannot swallow it."""


class AirflowTaskTerminated(BaseException):
    """The task process was told to stop."""


class TaskDeferred(BaseException):
    """Raised by `BaseOperator.defer()` to hand the task to the triggerer."""

    def __init__(
        self,
        *,
        trigger: Any,
        method_name: str,
        kwargs: dict[str, Any] | None = None,
        timeout: Any = None,
    ) -> None:
        super().__init__()
        self.trigger = trigger
        self.method_name = method_name
        self.kwargs = kwargs
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<TaskDeferred trigger={self.trigger} method={self.method_name}>"


class TaskDeferralError(AirflowException):
    """A deferral could not be carried out."""


class TaskDeferralTimeout(AirflowException):
    """A deferred task was not resumed in time."""


class TaskAwaitingInput(BaseException):
    """A human-in-the-loop task parks in `awaiting_input` until a person answers (or its timeout passes).

    A BaseException (like TaskDeferred) so that `except Exception` in user code cannot swallow it.
    """

    def __init__(self, *, method_name: str, kwargs: dict[str, Any] | None = None, timeout: Any = None) -> None:
        super().__init__()
        self.method_name = method_name
        self.kwargs = kwargs
        self.timeout = timeout


class DownstreamTasksSkipped(AirflowException):
    """Raised by branching helpers to skip the given downstream tasks."""

    def __init__(self, *, tasks: Sequence[str | tuple[str, int]]) -> None:
        super().__init__()
        self.tasks = tasks


class DagRunTriggerException(AirflowException):
    """Raised by TriggerDagRunOperator to ask the runtime to create a run of another DAG."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        for key, value in kwargs.items():
            setattr(self, key, value)


class XComNotFound(AirflowException):
    """An XCom an upstream task should have pushed is not there."""

    def __init__(self, dag_id: str, task_id: str, key: str) -> None:
        super().__init__()
        self.dag_id = dag_id
        self.task_id = task_id
        self.key = key

    def __str__(self) -> str:
        return f'XComArg result from {self.task_id} at {self.dag_id} with key="{self.key}" is not found!'


class UnmappableXComTypePushed(AirflowException):
    """A task that a mapped task expands over pushed something that is not a list or dict."""

    def __init__(self, value: Any, *values: Any) -> None:
        super().__init__(value, *values)
        self.value = value

    def __str__(self) -> str:
        return f"unmappable return type {type(self.value).__qualname__!r}"


class XComForMappingNotPushed(AirflowException):
    """A task that a mapped task expands over pushed nothing."""

    def __str__(self) -> str:
        return "did not push XCom for task mapping"


class AirflowInactiveAssetInInletOrOutletException(AirflowFailException):
    """A task has inactive assets in its inlets or outlets (another asset with the same name or URI is the active
    one): it fails before it runs, without retries. `inactive_asset_keys` are (name, uri) pairs or objects with
    `name` and `uri`."""

    main_message = "Task has the following inactive assets in its inlets or outlets"

    def __init__(self, inactive_asset_keys: Any) -> None:
        super().__init__(inactive_asset_keys)
        self.inactive_asset_keys = inactive_asset_keys

    @property
    def inactive_assets_message(self) -> str:
        keys = [(k[0], k[1]) if isinstance(k, tuple) else (k.name, k.uri) for k in self.inactive_asset_keys]
        return ", ".join(f"Asset(name={name!r}, uri={uri!r})" for name, uri in keys)

    def __str__(self) -> str:
        return f"{self.main_message}: {self.inactive_assets_message}"


class AirflowOptionalProviderFeatureException(AirflowException):
    """A provider feature that needs an optional dependency."""


class AirflowSecretsBackendAccessDenied(AirflowException, PermissionError):
    """A secrets backend refused access."""


# --- DAG definition errors -----------------------------------------------------------------------------------
class AirflowDagCycleException(AirflowException):
    """The DAG has a cycle."""


class DuplicateTaskIdFound(AirflowException):
    """A task id is used twice in one DAG."""


class TaskAlreadyInTaskGroup(AirflowException):
    """A task was added to a second task group."""

    def __init__(self, task_id: str, existing_group_id: str | None, new_group_id: str) -> None:
        super().__init__(task_id, new_group_id)
        self.task_id = task_id
        self.existing_group_id = existing_group_id
        self.new_group_id = new_group_id

    def __str__(self) -> str:
        existing = "the DAG's root group" if self.existing_group_id is None else f"group {self.existing_group_id!r}"
        return f"cannot add {self.task_id!r} to {self.new_group_id!r} (already in {existing})"


class FailFastDagInvalidTriggerRule(AirflowException):
    """A fail-fast DAG has a task whose trigger rule is not all_success."""

    _allowed_rules = ("all_success", "all_done_setup_success")

    @classmethod
    def check(cls, *, fail_fast: bool, trigger_rule: str) -> None:
        if fail_fast and trigger_rule not in cls._allowed_rules:
            raise cls()

    def __str__(self) -> str:
        # Airflow formats the generated enum member here, which prints with its class name.
        return "A 'fail_fast' dag can only have TriggerRule.ALL_SUCCESS trigger rule"


class ParamValidationError(AirflowException, ValueError):
    """A param value does not validate against its schema."""


class AirflowTimetableInvalid(AirflowException):
    """A timetable's arguments are invalid (e.g. a bad cron expression)."""


class AirflowDagDuplicatedIdException(AirflowException):
    """Two DAG files define the same dag_id."""

    def __init__(self, dag_id: str, incoming: str, existing: str) -> None:
        super().__init__(dag_id, incoming, existing)
        self.dag_id = dag_id
        self.incoming = incoming
        self.existing = existing

    def __str__(self) -> str:
        return f"Ignoring DAG {self.dag_id} from {self.incoming} - also found in {self.existing}"


class AirflowFileParseException(AirflowException):
    """A file could not be parsed."""


class AirflowUnsupportedFileTypeException(AirflowException):
    """A file of an unsupported type was given."""


class AirflowClusterPolicyViolation(AirflowException):
    """A cluster policy refused a DAG or task."""


class AirflowClusterPolicySkipDag(AirflowException):
    """A cluster policy skipped a DAG."""


class AirflowClusterPolicyError(AirflowException):
    """A cluster policy itself failed."""


class AirflowClearRunningTaskException(AirflowException):
    """A running task cannot be cleared."""


class AirflowInternalRuntimeError(BaseException):
    """An internal error that must not be caught by task code."""


class SerializationError(AirflowException):
    """A DAG could not be serialized."""


class DeserializationError(Exception):
    """A serialized DAG could not be read back."""


class DeserializingResultError(ValueError):
    """A result could not be deserialized."""


class NotMapped(Exception):
    """The task is not mapped."""


class UnknownExecutorException(ValueError):
    """The executor is not known."""


class InvalidStatsNameException(AirflowException):
    """A metric name is invalid."""


class PodMutationHookException(AirflowException):
    """A Kubernetes pod mutation hook failed."""


class PodReconciliationError(AirflowException):
    """A Kubernetes pod could not be reconciled."""


class DagNotPartitionedError(AirflowException):
    """The DAG is not partitioned."""


class InvalidPartitionKeyError(AirflowException):
    """A partition key is invalid."""


class TaskAlreadyRunningError(AirflowException):
    """The task is already running."""


# --- not-found and conflict errors ---------------------------------------------------------------------------
class TaskNotFound(AirflowNotFoundException):
    """No task with that id."""


class NodeNotFound(AirflowNotFoundException):
    """No task or task group with that id."""


class DagNotFound(AirflowNotFoundException):
    """No DAG with that id."""


class DagCodeNotFound(AirflowNotFoundException):
    """No code for that DAG."""


class DagRunNotFound(AirflowNotFoundException):
    """No DAG run with that id."""


class TaskInstanceNotFound(AirflowNotFoundException):
    """No task instance with that key."""


class PoolNotFound(AirflowNotFoundException):
    """No pool with that name."""


class DagRunAlreadyExists(AirflowBadRequest):
    """A DAG run with that id or logical date exists."""


class DagRunTypeNotAllowed(AirflowException):
    """The DAG does not allow this run type."""


class ConnectionNotUnique(AirflowException):
    """More than one connection with that id."""


class VariableNotUnique(AirflowException):
    """More than one variable with that key."""


# Warning classes and the SDK's small types that `airflow.exceptions` / `airflow.sdk.exceptions` expose besides
# errors.


class RemovedInAirflow4Warning(DeprecationWarning):
    """A feature that Airflow 4 removes."""

    deprecated_since: str | None = None


class AirflowProviderDeprecationWarning(DeprecationWarning):
    """A provider feature that a future provider release removes."""

    deprecated_provider_since: str | None = None


class FileSyntaxError(NamedTuple):
    """One syntax problem in a file: its line (when known) and message."""

    line_no: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.message}. Line number: {self.line_no},"


class ErrorType(enum.Enum):
    """Kinds of error a task's requests to its runtime can answer with."""

    CONNECTION_NOT_FOUND = "CONNECTION_NOT_FOUND"
    VARIABLE_NOT_FOUND = "VARIABLE_NOT_FOUND"
    XCOM_NOT_FOUND = "XCOM_NOT_FOUND"
    ASSET_NOT_FOUND = "ASSET_NOT_FOUND"
    TASK_STORE_NOT_FOUND = "TASK_STORE_NOT_FOUND"
    ASSET_STORE_NOT_FOUND = "ASSET_STORE_NOT_FOUND"
    DAGRUN_ALREADY_EXISTS = "DAGRUN_ALREADY_EXISTS"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    GENERIC_ERROR = "GENERIC_ERROR"
    API_SERVER_ERROR = "API_SERVER_ERROR"
