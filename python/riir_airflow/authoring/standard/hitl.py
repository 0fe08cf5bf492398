"""Human-in-the-loop operators (`airflow.providers.standard.operators.hitl`), as in Airflow 3.3.

`execute` writes the request (subject, options, defaults, params...) for the try and parks the task in
`awaiting_input` by raising TaskAwaitingInput: no trigger is involved. A person answers through the REST API
(`PATCH .../taskInstances/{task_id}/{map_index}/hitlDetails`), which puts the try back to `scheduled` with the answer
as its resume event; the DAG app then runs `execute_complete`. When `response_timeout` passes first, the app answers
with the defaults (or fails the task with HITLTimeoutError when there are none).
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypedDict
from urllib.parse import urlencode, urlparse, urlunparse

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.authoring.notifier import BaseNotifier
from riir_airflow.authoring.params import ParamsDict
from riir_airflow.authoring.skipmixin import BranchMixIn, SkipMixin
from riir_airflow.authoring.standard.exceptions import HITLRejectException, HITLTimeoutError, HITLTriggerEventError
from riir_airflow.exceptions import AirflowProviderDeprecationWarning, TaskAwaitingInput


class HITLUser(TypedDict):
    """Who may answer, or who answered."""

    id: str
    name: str


class HITLTriggerEventSuccessPayload(TypedDict, total=False):
    """What execute_complete receives (and returns) when a person, or the timeout default, answered."""

    chosen_options: list[str]
    params_input: dict[str, Any]
    responded_by_user: HITLUser | None
    responded_at: dt.datetime
    timedout: bool


class HITLTriggerEventFailurePayload(TypedDict):
    """What execute_complete receives when the wait ended without an answer."""

    error: str
    error_type: str


def _as_datetime(value: Any) -> dt.datetime:
    """The resume event carries `responded_at` as ISO text (it crossed the metastore as JSON)."""
    if isinstance(value, str):
        import pendulum

        parsed = pendulum.parse(value)
        assert isinstance(parsed, dt.datetime)
        return parsed
    return value  # type: ignore[no-any-return]


class HITLOperator(BaseOperator):
    """Asks a person to choose among `options` (and fill `params`), then resumes with the answer."""

    template_fields: Sequence[str] = ("subject", "body")

    def __init__(
        self,
        *,
        subject: str,
        options: list[str],
        body: str | None = None,
        defaults: str | list[str] | None = None,
        multiple: bool = False,
        params: ParamsDict | dict[str, Any] | None = None,
        notifiers: Sequence[BaseNotifier] | BaseNotifier | None = None,
        assigned_users: HITLUser | list[HITLUser] | None = None,
        response_timeout: dt.timedelta | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if self.execution_timeout and not response_timeout:
            # execution_timeout would kill the task while it waits; Airflow moves it to response_timeout.
            warnings.warn(
                "Passing `execution_timeout` to HITLOperator to control the human response wait is "
                "deprecated. Use `response_timeout` instead. `execution_timeout` will be cleared to "
                "prevent it from killing the task before defer() is reached.",
                AirflowProviderDeprecationWarning,
                stacklevel=2,
            )
            response_timeout = self.execution_timeout
            self.execution_timeout = None
        self.response_timeout = response_timeout
        self.subject = subject
        self.body = body
        self.options = options
        self.defaults = [defaults] if isinstance(defaults, str) else defaults
        self.multiple = multiple
        self.params = params if isinstance(params, ParamsDict) else ParamsDict(params or {})
        # Params that exist only at DAG level do not belong in the form.
        self.params = ParamsDict.filter_params_by_source(self.params, source="task")
        self.notifiers: Sequence[BaseNotifier] = [notifiers] if isinstance(notifiers, BaseNotifier) else notifiers or []
        self.assigned_users = [assigned_users] if isinstance(assigned_users, dict) else assigned_users
        self.validate_options()
        self.validate_params()
        self.validate_defaults()
        self.hitl_summary_extra: dict[str, Any] = {}

    @property
    def hitl_summary(self) -> dict[str, Any]:
        """A snapshot of the request (after rendering), for listeners."""
        return {
            "subject": self.subject,
            "body": self.body,
            "options": self.options,
            "defaults": self.defaults,
            "multiple": self.multiple,
            "assigned_users": self.assigned_users,
            "serialized_params": self.serialized_params or None,
            **self.hitl_summary_extra,
        }

    def validate_options(self) -> None:
        if not self.options:
            raise ValueError('"options" cannot be empty.')

    def validate_params(self) -> None:
        if "_options" in self.params:
            raise ValueError('"_options" is not allowed in params')

    def validate_defaults(self) -> None:
        if self.defaults is not None:
            if not set(self.defaults).issubset(self.options):
                raise ValueError(f'defaults "{self.defaults}" should be a subset of options "{self.options}"')
            if self.multiple is False and len(self.defaults) > 1:
                raise ValueError('More than one defaults given when "multiple" is set to False.')

    @property
    def serialized_params(self) -> dict[str, dict[str, Any]]:
        return {k: self.params.get_param(k).serialize() for k in self.params}

    def execute(self, context: Any) -> Any:
        """Writes the request for this try, notifies, and parks the task until an answer arrives."""
        context["task_instance"]._upsert_hitl_detail(
            options=self.options,
            subject=self.subject,
            body=self.body,
            defaults=self.defaults,
            multiple=self.multiple,
            params=self.serialized_params,
            assigned_users=self.assigned_users or [],
        )
        timeout_datetime = dt.datetime.now(dt.UTC) + self.response_timeout if self.response_timeout else None
        self.hitl_summary_extra["timeout_datetime"] = timeout_datetime.isoformat() if timeout_datetime else None
        self.log.info("Waiting for response")
        for notifier in self.notifiers:
            notifier(context)
        raise TaskAwaitingInput(method_name="execute_complete", timeout=self.response_timeout)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        if "error" in event:
            self.hitl_summary_extra["error_type"] = event["error_type"]
            self.process_trigger_event_error(event)
        chosen_options = event["chosen_options"]
        params_input = event["params_input"] or {}
        self.validate_chosen_options(chosen_options)
        self.validate_params_input(params_input)
        responded_at = _as_datetime(event["responded_at"])
        self.hitl_summary_extra.update(
            {
                "chosen_options": chosen_options,
                "params_input": params_input,
                "responded_at": responded_at.isoformat(),
                "responded_by_user": event["responded_by_user"],
            }
        )
        return HITLTriggerEventSuccessPayload(
            chosen_options=chosen_options,
            params_input=params_input,
            responded_at=responded_at,
            responded_by_user=event["responded_by_user"],
        )

    def process_trigger_event_error(self, event: dict[str, Any]) -> None:
        if event["error_type"] == "timeout":
            raise HITLTimeoutError(event)
        raise HITLTriggerEventError(event)

    def validate_chosen_options(self, chosen_options: list[str]) -> None:
        if diff := set(chosen_options) - set(self.options):
            raise ValueError(f"Responses {diff} not in {self.options}")

    def validate_params_input(self, params_input: Mapping[str, Any]) -> None:
        if self.params and params_input and set(self.serialized_params.keys()) ^ set(params_input):
            raise ValueError(f"params_input {params_input} does not match params {self.params}")
        for key, value in params_input.items():
            self.params[key] = value

    def generate_link_to_ui(
        self,
        *,
        task_instance: Any,
        base_url: str | None = None,
        options: str | list[str] | None = None,
        params_input: dict[str, Any] | None = None,
    ) -> str:
        """The "required actions" page of this task instance, with options/params prefilled."""
        from riir_airflow.config import conf

        query: dict[str, Any] = {}
        options = [options] if isinstance(options, str) else options
        if options:
            if diff := set(options) - set(self.options):
                raise ValueError(f"options {diff} are not valid options")
            query["_options"] = options
        if params_input:
            if diff := set(params_input.keys()) - set(self.params.keys()):
                raise ValueError(f"params {diff} are not valid params")
            query.update(params_input)
        if not (base_url := base_url or conf.get("api", "base_url", fallback=None)):
            raise ValueError("Not able to retrieve base_url")
        query["map_index"] = task_instance.map_index
        parsed = urlparse(base_url)
        path = (
            f"/dags/{task_instance.dag_id}/runs/{task_instance.run_id}/tasks/{task_instance.task_id}/required_actions"
        )
        return urlunparse((parsed.scheme, parsed.netloc, path, "", urlencode(query) if query else "", ""))

    @staticmethod
    def generate_link_to_ui_from_context(
        *,
        context: Any,
        base_url: str | None = None,
        options: list[str] | None = None,
        params_input: dict[str, Any] | None = None,
    ) -> str:
        hitl_op = context["task"]
        if not isinstance(hitl_op, HITLOperator):
            raise ValueError("This method only supports HITLOperator")
        return hitl_op.generate_link_to_ui(
            task_instance=context["task_instance"], base_url=base_url, options=options, params_input=params_input
        )


class ApprovalOperator(HITLOperator, SkipMixin):
    """Two fixed options, "Approve" and "Reject"; "Reject" skips downstream (or fails, with fail_on_reject)."""

    inherits_from_skipmixin = True
    FIXED_ARGS = ["options", "multiple"]
    APPROVE = "Approve"
    REJECT = "Reject"

    def __init__(self, *, ignore_downstream_trigger_rules: bool = False, fail_on_reject: bool = False, **kwargs: Any):
        for arg in self.FIXED_ARGS:
            if arg in kwargs:
                raise ValueError(f"Passing {arg} to ApprovalOperator is not allowed.")
        self.ignore_downstream_trigger_rules = ignore_downstream_trigger_rules
        self.fail_on_reject = fail_on_reject
        super().__init__(options=[self.APPROVE, self.REJECT], multiple=False, **kwargs)
        self.hitl_summary_extra["ignore_downstream_trigger_rules"] = self.ignore_downstream_trigger_rules
        self.hitl_summary_extra["fail_on_reject"] = self.fail_on_reject

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        ret = super().execute_complete(context=context, event=event)
        chosen_option = ret["chosen_options"][0]
        self.hitl_summary_extra["approved"] = chosen_option == self.APPROVE
        if chosen_option == self.APPROVE:
            self.log.info("Approved. Proceeding with downstream tasks...")
            return ret
        if self.fail_on_reject and chosen_option == self.REJECT:
            raise HITLRejectException('Receive "Reject"')
        if not self.downstream_task_ids:
            self.log.info("No downstream tasks; nothing to do.")
            return ret

        def tasks_to_skip() -> Iterator[Any]:
            if self.ignore_downstream_trigger_rules is True:
                tasks = context["task"].get_flat_relatives(upstream=False)
            else:
                tasks = context["task"].get_direct_relatives(upstream=False)
            yield from (t for t in tasks if not t.is_teardown)

        if self.log.getEffectiveLevel() <= logging.DEBUG:
            self.log.debug("Downstream task IDs %s", list(tasks_to_skip()))
        self.log.info("Skipping downstream tasks")
        self.skip(ti=context["ti"], tasks=tasks_to_skip())
        return ret


class HITLBranchOperator(HITLOperator, BranchMixIn):
    """Branches to the chosen option(s), mapped to task ids through `options_mapping` (else the option itself)."""

    inherits_from_skipmixin = True

    def __init__(self, *, options_mapping: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.options_mapping = options_mapping or {}
        self.validate_options_mapping()
        self.hitl_summary_extra["options_mapping"] = self.options_mapping

    def validate_options_mapping(self) -> None:
        if not self.options_mapping:
            return
        invalid_keys = set(self.options_mapping.keys()) - set(self.options)
        if invalid_keys:
            raise ValueError(f"`options_mapping` contains keys that are not in `options`: {sorted(invalid_keys)}")
        invalid_entries = {k: (v, type(v).__name__) for k, v in self.options_mapping.items() if not isinstance(v, str)}
        if invalid_entries:
            raise ValueError(
                f"`options_mapping` values must be strings (task_ids).\nInvalid entries: {invalid_entries}"
            )

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        ret = super().execute_complete(context=context, event=event)
        chosen = [self.options_mapping.get(option, option) for option in ret["chosen_options"]]
        self.hitl_summary_extra["branches_to_execute"] = chosen
        return self.do_branch(context=context, branches_to_execute=chosen)


class HITLEntryOperator(HITLOperator):
    """Collects form input (`params`); the only option is "OK", also its default."""

    OK = "OK"

    def __init__(self, **kwargs: Any) -> None:
        if "options" not in kwargs:
            kwargs["options"] = [self.OK]
            if "defaults" not in kwargs:
                kwargs["defaults"] = [self.OK]
        super().__init__(**kwargs)
