"""Asset conditions with AssetAll / AssetAny and AssetOrTimeSchedule."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, Asset, AssetAll, AssetAny, AssetOrTimeSchedule, CronTriggerTimetable

a = Asset("cond_a")
b = Asset("cond_b")
c = Asset("cond_c")

with DAG("af3_asset_all_any", schedule=AssetAll(a, AssetAny(b, c))):
    EmptyOperator(task_id="run")

with DAG(
    "af3_asset_or_time",
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 * * *", timezone="UTC"), assets=(a | b)),
):
    EmptyOperator(task_id="run")
