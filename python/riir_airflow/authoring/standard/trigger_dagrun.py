"""TriggerDagRunOperator: asks the runtime to create a run of another DAG."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pendulum

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.authoring.notset import NOTSET
from riir_airflow.authoring.standard.links import TriggerDagRunLink
from riir_airflow.exceptions import AirflowException, DagRunTriggerException


def _parse_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = pendulum.parse(str(value))
    assert isinstance(parsed, dt.datetime)
    return parsed


class TriggerDagRunOperator(BaseOperator):
    """Triggers a run of `trigger_dag_id` (with `conf`), optionally waiting until it finishes."""

    template_fields: Sequence[str] = (
        "trigger_dag_id",
        "trigger_run_id",
        "logical_date",
        "conf",
        "wait_for_completion",
        "skip_when_already_exists",
    )
    template_fields_renderers = {"conf": "py"}
    ui_color = "#ffefeb"
    operator_extra_links = [TriggerDagRunLink()]

    def __init__(
        self,
        *,
        trigger_dag_id: str,
        trigger_run_id: str | None = None,
        conf: dict[str, Any] | None = None,
        logical_date: str | dt.datetime | Any | None = NOTSET,
        run_after: str | dt.datetime | Any | None = NOTSET,
        reset_dag_run: bool = False,
        wait_for_completion: bool = False,
        poke_interval: int = 60,
        allowed_states: list[str] | None = None,
        failed_states: list[str] | None = None,
        skip_when_already_exists: bool = False,
        fail_when_dag_is_paused: bool = False,
        note: str | None = None,
        deferrable: bool = False,
        openlineage_inject_parent_info: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.trigger_dag_id = trigger_dag_id
        self.trigger_run_id = trigger_run_id
        self.conf = conf
        self.logical_date = logical_date
        self.run_after = run_after
        self.reset_dag_run = reset_dag_run
        self.wait_for_completion = wait_for_completion
        self.poke_interval = poke_interval
        self.allowed_states = allowed_states or ["success"]
        self.failed_states = failed_states or ["failed"]
        self.skip_when_already_exists = skip_when_already_exists
        self.fail_when_dag_is_paused = fail_when_dag_is_paused
        self.note = note
        self.deferrable = deferrable
        self.openlineage_inject_parent_info = openlineage_inject_parent_info

    def execute(self, context: Any) -> None:
        if self.logical_date is NOTSET:
            logical_date: dt.datetime | None = None if self.run_after is not NOTSET else pendulum.now("UTC")
        else:
            logical_date = _parse_datetime(self.logical_date)
        run_after = logical_date if self.run_after is NOTSET else _parse_datetime(self.run_after)
        try:
            if self.conf and isinstance(self.conf, str):
                self.conf = json.loads(self.conf)
            json.dumps(self.conf)
        except (TypeError, ValueError):
            raise ValueError(f"conf parameter should be JSON Serializable: {self.conf}") from None
        if self.trigger_run_id:
            run_id = str(self.trigger_run_id)
        else:
            when = logical_date or run_after or pendulum.now("UTC")
            run_id = f"manual__{when.isoformat()}"
        self.trigger_run_id = run_id
        raise DagRunTriggerException(
            trigger_dag_id=self.trigger_dag_id,
            dag_run_id=run_id,
            conf=self.conf,
            logical_date=logical_date,
            run_after=run_after,
            reset_dag_run=self.reset_dag_run,
            skip_when_already_exists=self.skip_when_already_exists,
            wait_for_completion=self.wait_for_completion,
            allowed_states=self.allowed_states,
            failed_states=self.failed_states,
            poke_interval=self.poke_interval,
            deferrable=self.deferrable,
            note=self.note,
        )

    def execute_complete(self, context: Any, event: Any) -> None:
        """After a deferred wait (DagStateTrigger's event: classpath and {..., run_id: state}), as Airflow 3."""
        _, event_data = event
        run_ids = event_data["run_ids"]
        self.trigger_run_id = run_ids[0] if len(run_ids) == 1 else None
        failed = [run_id for run_id in run_ids if event_data.get(run_id) in self.failed_states]
        for run_id in run_ids:
            if event_data.get(run_id) in self.allowed_states:
                self.log.info("%s finished with allowed state %s for run_id %s", self.trigger_dag_id,
                              event_data.get(run_id), run_id)  # fmt: skip
        if failed:
            raise AirflowException(
                f"{self.trigger_dag_id} failed with failed states {self.failed_states} for run_ids {failed}"
            )
