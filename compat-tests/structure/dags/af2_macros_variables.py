"""user_defined_macros / filters, airflow.macros, template_searchpath, and Variable used only at run time."""

from airflow import macros
from airflow.models import DAG, Variable
from airflow.operators.bash import BashOperator
from airflow.operators.python import PythonOperator


def read_variable():
    return Variable.get("some_key", default_var="fallback")


with DAG(
    "af2_macros_variables",
    schedule="@daily",
    user_defined_macros={"project": "riir", "add_days": macros.ds_add},
    user_defined_filters={"shout": lambda s: s.upper()},
    template_searchpath=["/tmp"],
    render_template_as_native_obj=False,
    is_paused_upon_creation=True,
):
    BashOperator(task_id="templated", bash_command="echo {{ project | shout }} {{ add_days(ds, 1) }}")
    PythonOperator(task_id="variable", python_callable=read_variable)
