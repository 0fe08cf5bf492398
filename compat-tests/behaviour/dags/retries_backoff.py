"""retry_exponential_backoff with max_retry_delay (kept tiny) still ends on the right try."""

import datetime

from airflow.sdk import dag, get_current_context, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def retries_backoff():
    @task(
        retries=2,
        retry_delay=datetime.timedelta(milliseconds=200),
        retry_exponential_backoff=2.0,
        max_retry_delay=datetime.timedelta(seconds=1),
    )
    def eventually() -> dict:
        ti = get_current_context()["ti"]
        if ti.try_number < 3:
            raise RuntimeError("not yet")
        return {"try_number": ti.try_number, "max_tries": ti.max_tries}

    eventually()


retries_backoff()
