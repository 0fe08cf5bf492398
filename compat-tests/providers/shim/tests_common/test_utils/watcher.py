"""Stand-in for Airflow's test helper of the same name: a task that fails the run when any upstream task failed
(so a DAG with teardown tasks still ends `failed` when something went wrong)."""

from __future__ import annotations

from airflow.exceptions import AirflowException
from airflow.sdk import task
from airflow.utils.trigger_rule import TriggerRule


@task(trigger_rule=TriggerRule.ONE_FAILED, retries=0)
def watcher() -> None:
    raise AirflowException("Failing task because one or more upstream tasks failed.")
