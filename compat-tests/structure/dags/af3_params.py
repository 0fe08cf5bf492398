"""DAG and task params: Param with JSON-schema keywords, plain values, enums, nullable types."""

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

with DAG(
    "af3_params",
    schedule=None,
    params={
        "count": Param(5, type="integer", minimum=1, maximum=10, description="how many"),
        "name": Param("world", type="string", minLength=2),
        "mode": Param("fast", enum=["fast", "slow"]),
        "maybe": Param(None, type=["null", "string"]),
        "flags": Param(["a"], type="array", items={"type": "string"}),
        "config": Param({"k": 1}, type="object"),
        "plain_number": 3,
        "plain_text": "hello",
        "ratio": Param(0.5, type="number", title="Ratio"),
        "enabled": Param(True, type="boolean"),
        "when": Param("2024-01-01", type="string", format="date"),
    },
    tags=["params"],
):
    BashOperator(task_id="greet", bash_command="echo {{ params.name }} {{ params.count }}")
    BashOperator(
        task_id="task_level",
        bash_command="echo {{ params.extra }}",
        params={"extra": Param("x", type="string"), "count": 7},
    )
