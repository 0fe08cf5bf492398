"""Variables and Connections from AIRFLOW_VAR_* / AIRFLOW_CONN_* (URI and JSON forms): Variable.get, Connection
fields, get_uri, extra_dejson, BaseHook.get_connection, missing ones; and templated var/conn access."""

import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import BaseHook, Connection, Variable, dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False)
def variables_connections():
    @task
    def variables() -> dict:
        return {
            "plain": Variable.get("greeting"),
            "number_is_str": Variable.get("number"),
            "json": Variable.get("settings", deserialize_json=True),
            "default": Variable.get("does_not_exist", default="fallback"),
            "default_none": Variable.get("does_not_exist", default=None),
        }

    @task
    def missing_variable() -> str:
        return Variable.get("does_not_exist")

    @task
    def connections() -> dict:
        uri = Connection.get("pg_uri")
        js = BaseHook.get_connection("http_json")
        plain = Connection.get("plain_uri")
        return {
            "uri_fields": [uri.conn_id, uri.conn_type, uri.host, uri.schema, uri.login, uri.password, uri.port],
            "uri_extra": uri.extra_dejson,
            "uri_get_uri": uri.get_uri(),
            "json_fields": [js.conn_id, js.conn_type, js.host, js.schema, js.login, js.password, js.port],
            "json_extra": js.extra_dejson,
            "json_get_uri": js.get_uri(),
            "plain_fields": [plain.conn_type, plain.host, plain.login, plain.password, plain.port, plain.schema],
            "plain_get_uri": plain.get_uri(),
        }

    @task
    def missing_connection() -> str:
        return Connection.get("no_such_conn").host

    variables()
    missing_variable()
    connections()
    missing_connection()
    BashOperator(
        task_id="templated",
        bash_command="echo {{ var.value.greeting }} {{ var.json.settings.region }} {{ conn.http_json.host }}",
        env={"PORT": "{{ conn.pg_uri.port }}", "LOGIN": "{{ conn.pg_uri.login }}"},
    )


variables_connections()
