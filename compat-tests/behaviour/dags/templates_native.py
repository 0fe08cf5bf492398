"""render_template_as_native_obj=True: templates render to Python objects (lists, dicts, ints) for op_args/kwargs."""

import datetime

from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import dag

# compat-conf: {"items": [1, 2, 3], "flag": true}


def describe(*args, **kwargs):
    return {
        "args": [[type(a).__name__, a] for a in args],
        "kwargs": {k: [type(v).__name__, v] for k, v in sorted(kwargs.items()) if k in ("n", "conf", "text", "d")},
    }


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    render_template_as_native_obj=True,
)
def templates_native():
    PythonOperator(
        task_id="native",
        python_callable=describe,
        op_args=["{{ [1, 2] + [3] }}", "{{ 40 + 2 }}", "{{ dag_run.conf['items'] }}"],
        op_kwargs={
            "n": "{{ dag_run.conf['flag'] }}",
            "conf": "{{ dag_run.conf }}",
            "text": "plain {{ ds }}",
            "d": "{{ {'a': 1} }}",
        },
    )


templates_native()
