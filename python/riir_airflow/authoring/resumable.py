"""`ResumableJobMixin` (Airflow 3.3): operators that submit an external job and poll it can reconnect to that job
on a retry instead of submitting it again, by keeping its id in the task state store.

When the context has no `task_state_store`, every try submits afresh, exactly as Airflow behaves without a store.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperatorMeta


class ResumableJobMixin(ABC):
    """Mix into an operator (`class Op(ResumableJobMixin, BaseOperator)`) and call `execute_resumable(context)`
    from `execute`."""

    external_id_key: str = "remote_job_id"
    log: Any

    @BaseOperatorMeta._apply_defaults
    def __init__(self, *, durable: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.durable = durable

    def execute_resumable(self, context: Any) -> Any:
        """Submit (or reconnect to) the job, wait for it, and return its result."""
        if not self.durable:
            external_id = self.submit_job(context)
            self.poll_until_complete(external_id, context)
            return self.get_job_result(external_id, context)
        store = context.get("task_state_store")
        if store is None:
            self.log.warning("task_state_store not available in context, crash recovery is disabled for this run")
        else:
            previous = store.get(self.external_id_key)
            if previous:
                status = self.get_job_status(previous, context)
                if self.is_job_active(status):
                    self.log.info("Reconnecting to existing job %s=%s (status %s)", self.external_id_key,
                                  previous, status)  # fmt: skip
                    # As in Airflow 3.3.2: a reconnected try returns what poll_until_complete returns.
                    return self.poll_until_complete(previous, context)
                if self.is_job_succeeded(status):
                    self.log.info("Job %s already completed successfully, skipping resubmission", previous)
                    return self.get_job_result(previous, context)
                self.log.warning("Prior job %s in terminal state %s, resubmitting fresh", previous, status)
        external_id = self.submit_job(context)
        if store is not None and external_id is not None:
            store.set(self.external_id_key, external_id)
        self.poll_until_complete(external_id, context)
        return self.get_job_result(external_id, context)

    @abstractmethod
    def submit_job(self, context: Any) -> Any:
        """Start the job; return its external id (None: nothing to persist)."""

    @abstractmethod
    def get_job_status(self, external_id: Any, context: Any) -> str: ...

    @abstractmethod
    def is_job_active(self, status: str) -> bool: ...

    @abstractmethod
    def is_job_succeeded(self, status: str) -> bool: ...

    @abstractmethod
    def poll_until_complete(self, external_id: Any, context: Any) -> Any: ...

    @abstractmethod
    def get_job_result(self, external_id: Any, context: Any) -> Any: ...
