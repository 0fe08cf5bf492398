"""map_index_template renders a label per mapped instance; mapped operator's rendered fields per index."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def mapping_map_index_template():
    @task(map_index_template="{{ city }}")
    def weather(city: str) -> str:
        from airflow.sdk import get_current_context

        get_current_context()["city"] = city.upper()
        return f"sunny in {city}"

    weather.expand(city=["oslo", "rome"])
    PythonOperator.partial(task_id="classic", python_callable=lambda x: x).expand(
        op_args=[["{{ ds }}"], ["{{ ti.map_index }}"]]
    )


mapping_map_index_template()
