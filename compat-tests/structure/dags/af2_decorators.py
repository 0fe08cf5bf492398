"""airflow.decorators: @dag and @task (with variants) the way Airflow 2 TaskFlow files wrote them."""

import json

import pendulum
from airflow.decorators import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2021, 1, 1, tz="UTC"),
    catchup=False,
    tags=["example", "taskflow"],
)
def af2_decorators():
    @task()
    def extract():
        return json.loads('{"1001": 301.27, "1002": 433.21}')

    @task(multiple_outputs=True)
    def transform(order_data_dict: dict):
        return {"total_order_value": sum(order_data_dict.values())}

    @task()
    def load(total_order_value: float):
        print(total_order_value)

    @task.branch()
    def route(total):
        return "load"

    @task.short_circuit()
    def proceed():
        return True

    @task.bash
    def shout():
        return "echo LOUD"

    order_summary = transform(extract())
    loaded = load(order_summary["total_order_value"])
    route(order_summary["total_order_value"]) >> loaded
    proceed() >> shout()


af2_decorators()
