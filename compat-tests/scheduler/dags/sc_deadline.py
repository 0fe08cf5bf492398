import datetime
import time

from airflow.sdk import DAG, AsyncCallback, DeadlineAlert, DeadlineReference, task

# The run is queued and must finish within 3 s: `slow` takes 10 s, so the callback records the miss. The second
# DAG finishes well within its 5 minutes: no callback.
with DAG(
    "sc_deadline_missed",
    schedule=None,
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=datetime.timedelta(seconds=3),
        callback=AsyncCallback("sc_support.on_deadline", kwargs={"tag": "missed"}),
    ),
):

    @task
    def slow():
        time.sleep(10)
        return "slow"

    slow()

with DAG(
    "sc_deadline_met",
    schedule=None,
    deadline=DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=datetime.timedelta(minutes=5),
        callback=AsyncCallback("sc_support.on_deadline", kwargs={"tag": "met"}),
    ),
):

    @task
    def fast():
        return "fast"

    fast()
