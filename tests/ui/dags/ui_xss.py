"""Markup everywhere a user can put text: doc_md, a task's display name, a param default, the log. The UI must show
all of it as text (task ids themselves only allow letters, digits, '-', '_' and '.')."""

import pendulum
from airflow.sdk import DAG, Param, task

PAYLOAD = "<img src=x onerror=\"window.__xss='{}'\"><script>window.__xss='{}'</script>"

with DAG(
    "ui_xss",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    doc_md=PAYLOAD.format("doc", "doc"),
    description=PAYLOAD.format("description", "description"),
    params={"note": Param(PAYLOAD.format("param", "param"), type="string", description=PAYLOAD.format("pd", "pd"))},
    tags=["<b>tag</b>"],
) as dag:

    @task(task_display_name=PAYLOAD.format("task", "task"))
    def shout(params=None):
        print(PAYLOAD.format("log", "log"))
        return PAYLOAD.format("xcom", "xcom")

    shout()
