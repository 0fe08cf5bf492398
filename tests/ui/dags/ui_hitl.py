"""A task that waits for a person's answer (human-in-the-loop) with a param, then a task that uses the answer."""

import pendulum
from airflow.providers.standard.operators.hitl import HITLOperator
from airflow.sdk import DAG, Param, task

with DAG("ui_hitl", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), tags=["ui"]) as dag:
    ask = HITLOperator(
        task_id="ask",
        subject="Ship the release?",
        body="Check the <b>notes</b> first.",
        options=["Ship", "Hold"],
        params={"reason": Param("looks good", type="string", minLength=2)},
    )

    @task
    def after(answer=None):
        print(f"chosen={answer['chosen_options']} reason={answer['params_input']['reason']}")
        return answer["params_input"]["reason"]

    after(ask.output)
