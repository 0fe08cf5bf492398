"""Sensors in their three modes: `poke` (holds its process and checks every few seconds), `reschedule` (frees
its slot between checks) and deferrable (`TimeDeltaSensorAsync`: the wait is handed to the app's triggerer)."""

from __future__ import annotations

import datetime
import os
import tempfile

import pendulum

from airflow.providers.standard.sensors.filesystem import FileSensor
from airflow.providers.standard.sensors.time_delta import TimeDeltaSensorAsync
from airflow.sdk import DAG, PokeReturnValue, task

MARKER = os.path.join(tempfile.gettempdir(), "riir_example_sensor_marker")

with DAG(
    dag_id="example_sensors",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    tags=["example"],
):

    @task
    def write_marker() -> None:
        with open(MARKER, "w") as f:
            f.write("ready\n")

    wait_file = FileSensor(task_id="wait_for_file", filepath=MARKER, poke_interval=1, timeout=60, mode="poke")

    @task.sensor(poke_interval=1, timeout=60, mode="reschedule")
    def wait_until_readable() -> PokeReturnValue:
        with open(MARKER) as f:
            return PokeReturnValue(is_done=f.read().strip() == "ready", xcom_value="read")

    deferred = TimeDeltaSensorAsync(task_id="deferred_wait", delta=datetime.timedelta(seconds=1))

    write_marker() >> wait_file >> wait_until_readable() >> deferred
