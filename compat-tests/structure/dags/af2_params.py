"""Params from airflow.models.param and airflow.models, at DAG and task level."""

from airflow.models import DAG, Param
from airflow.models.param import Param as ModuleParam
from airflow.operators.python import PythonOperator


def show(**context):
    print(context["params"])


with DAG(
    "af2_params",
    schedule=None,
    params={
        "env": ModuleParam("dev", type="string", enum=["dev", "prod"], description="target"),
        "threshold": Param(10, type="integer", exclusiveMinimum=0),
        "emails": Param([], type="array", uniqueItems=True),
        "raw": {"nested": [1, 2]},
        "optional_int": Param(None, type=["null", "integer"]),
    },
):
    PythonOperator(task_id="show", python_callable=show, params={"threshold": 3, "local": Param("l")})
