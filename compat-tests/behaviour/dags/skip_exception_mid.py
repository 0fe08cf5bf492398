"""AirflowSkipException raised after work was done (pushes before the skip), in classic and decorated tasks."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import TriggerRule, dag, task
from airflow.sdk.exceptions import AirflowSkipException


def classic_skip(ti):
    ti.xcom_push(key="before_skip", value="pushed")
    raise AirflowSkipException("classic skip")


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def skip_exception_mid():
    @task
    def decorated_skip():
        from airflow.sdk import get_current_context

        get_current_context()["ti"].xcom_push(key="partial", value=[1, 2])
        raise AirflowSkipException("decorated skip")

    @task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
    def after() -> str:
        return "after"

    @task(trigger_rule=TriggerRule.ALL_SKIPPED)
    def only_if_all_skipped() -> str:
        return "all skipped"

    classic = PythonOperator(task_id="classic_skip", python_callable=classic_skip)
    ups = [decorated_skip(), classic]
    ups >> after()
    ups >> only_if_all_skipped()


skip_exception_mid()
