"""template_fields over nested dicts, lists, tuples and sets; non-string leaves untouched; literal() not rendered."""

import datetime

from airflow.sdk import BaseOperator, dag, literal


class Echo(BaseOperator):
    template_fields = ("config", "items", "text", "number", "untouched")

    def __init__(self, *, config, items, text, number=3, untouched=None, **kwargs):
        super().__init__(**kwargs)
        self.config = config
        self.items = items
        self.text = text
        self.number = number
        self.untouched = untouched

    def execute(self, context):
        return {"config": self.config, "items": self.items, "text": self.text, "number": self.number}


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    params={"table": "events", "limit": 10},
)
def templates_nested_fields():
    Echo(
        task_id="echo",
        config={
            "path": "/data/{{ ds_nodash }}/{{ params.table }}",
            "options": {"limit": "{{ params.limit * 2 }}", "flags": ["{{ ds }}", 5, None, True]},
            "when": datetime.date(2024, 1, 2),
            "{{ 'key_not_rendered' }}": "keys stay",
        },
        items=["{{ task.task_id }}", ("{{ dag.dag_id }}", 2), {"{{ ts }}"}],
        text=literal("{{ not rendered }}"),
        untouched=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )


templates_nested_fields()
