"""Custom operators the Airflow 2 way: airflow.models.baseoperator.BaseOperator, airflow.sensors.base, hooks."""

from airflow.hooks.base import BaseHook
from airflow.models import DAG
from airflow.models.baseoperator import BaseOperator
from airflow.sensors.base import BaseSensorOperator, PokeReturnValue


class HttpishHook(BaseHook):
    def __init__(self, conn_id="httpish_default"):
        super().__init__()
        self.conn_id = conn_id

    def get_conn(self):
        return self.get_connection(self.conn_id)


class TemplatedEcho(BaseOperator):
    template_fields = ("message", "path")
    template_ext = (".txt", ".tmpl")
    ui_color = "#f0ede4"

    def __init__(self, message, path="", **kwargs):
        super().__init__(**kwargs)
        self.message = message
        self.path = path

    def execute(self, context):
        self.log.info(self.message)
        return self.message


class NoTemplates(BaseOperator):
    def execute(self, context):
        return HttpishHook().conn_id


class EndpointSensor(BaseSensorOperator):
    template_fields = ("endpoint",)

    def __init__(self, endpoint, **kwargs):
        super().__init__(**kwargs)
        self.endpoint = endpoint

    def poke(self, context):
        return PokeReturnValue(is_done=True, xcom_value=self.endpoint)


with DAG("af2_custom_operator", schedule=None, default_args={"owner": "ops"}):
    sense = EndpointSensor(task_id="sense", endpoint="/health/{{ ds }}", timeout=120, exponential_backoff=True)
    echo = TemplatedEcho(task_id="echo", message="{{ params.greeting }}", params={"greeting": "hi"})
    bare = NoTemplates(task_id="bare", priority_weight=10, weight_rule="absolute")
    sense >> echo >> bare
