"""Params with a trigger form: typed `Param`s (with defaults, limits, enums and descriptions) are what the UI's
trigger form shows; a run's conf overrides them and is validated before the run starts."""

from __future__ import annotations

import pendulum

from airflow.sdk import DAG, Param, task

with DAG(
    dag_id="example_params_form",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
    params={
        "name": Param("world", type="string", minLength=1, description="Who to greet"),
        "times": Param(2, type="integer", minimum=1, maximum=5, description="How many greetings"),
        "style": Param("plain", enum=["plain", "shout"], description="How to greet"),
    },
):

    @task
    def greet(params: dict | None = None) -> list[str]:
        assert params is not None
        text = f"hello {params['name']}"
        if params["style"] == "shout":
            text = text.upper()
        return [text] * params["times"]

    greet()
