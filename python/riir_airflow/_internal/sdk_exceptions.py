"""Warning classes and small types that `airflow.exceptions` / `airflow.sdk.exceptions` expose besides errors."""

from __future__ import annotations

import enum
from typing import NamedTuple


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
