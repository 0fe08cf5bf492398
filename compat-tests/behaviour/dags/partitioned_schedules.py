"""Partitioned schedules under `dags test`: a CronPartitionTimetable DAG's run and the partition keys its tasks see
(`partition_key` / `partition_date` in the context and on `dag_run`), outlet events of a partitioned run."""

# compat-date: 2024-03-05T06:00:00+00:00

import datetime

from airflow.sdk import DAG, Asset, CronPartitionTimetable, task

OUT = Asset("partitioned-out")

with DAG(
    "partitioned_schedules",
    schedule=CronPartitionTimetable("0 6 * * *", timezone="UTC", run_offset=-1, key_format="%Y-%m-%d"),
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
):

    @task(outlets=[OUT])
    def show(partition_key=None, partition_date=None, dag_run=None):
        return {
            "key": partition_key,
            "date": str(partition_date),
            "run_key": dag_run.partition_key,
            "run_date": str(dag_run.partition_date),
        }

    @task(inlets=[OUT])
    def read(*, inlet_events):
        return [e.partition_key for e in inlet_events[OUT]]

    show() >> read()
