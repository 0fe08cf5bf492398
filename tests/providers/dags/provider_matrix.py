"""Operators, sensors and hooks of the provider matrix against local servers (connections from the environment
or the metastore: sqlite_local, pg_local, http_local, smtp_local, ftp_local, redis_local, slack_local, ssh_local).
`MATRIX_DIR` is a scratch directory (the FTP upload's source); `MATRIX_KEY` keeps redis keys per run apart."""

from __future__ import annotations

import os

import pendulum
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.providers.ftp.operators.ftp import FTPFileTransmitOperator
from airflow.providers.ftp.sensors.ftp import FTPSensor
from airflow.providers.http.operators.http import HttpOperator
from airflow.providers.http.sensors.http import HttpSensor
from airflow.providers.postgres.hooks.postgres import PostgresHook
from airflow.providers.redis.hooks.redis import RedisHook
from airflow.providers.redis.operators.redis_publish import RedisPublishOperator
from airflow.providers.redis.sensors.redis_key import RedisKeySensor
from airflow.providers.sftp.operators.sftp import SFTPOperator
from airflow.providers.sftp.sensors.sftp import SFTPSensor
from airflow.providers.slack.operators.slack_webhook import SlackWebhookOperator
from airflow.providers.smtp.operators.smtp import EmailOperator
from airflow.providers.ssh.operators.ssh import SSHOperator
from airflow.sdk import DAG, task

KEY = os.environ.get("MATRIX_KEY", "riir-matrix")
SCRATCH = os.environ.get("MATRIX_DIR", "/tmp")

with DAG("provider_matrix", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=False):
    sqlite_rows = SQLExecuteQueryOperator(
        task_id="sqlite_rows",
        conn_id="sqlite_local",
        sql=[
            "CREATE TABLE IF NOT EXISTS items (n INTEGER)",
            "DELETE FROM items",
            "INSERT INTO items VALUES (1), (2), (3)",
            "SELECT n FROM items ORDER BY n",
        ],
        return_last=True,
    )
    pg_answer = SQLExecuteQueryOperator(task_id="pg_answer", conn_id="pg_local", sql="SELECT 40 + 2")

    @task
    def pg_hook() -> str:
        return str(PostgresHook(postgres_conn_id="pg_local").get_first("SELECT current_database()")[0])

    item = HttpOperator(
        task_id="http_item",
        http_conn_id="http_local",
        endpoint="api/item",
        method="GET",
        response_filter=lambda response: response.json()["name"],
    )
    ready = HttpSensor(task_id="http_ready", http_conn_id="http_local", endpoint="ready", poke_interval=1)
    posted = HttpOperator(
        task_id="http_post", http_conn_id="http_local", endpoint="echo", method="POST", data='{"hello": "world"}'
    )
    deferred = HttpOperator(
        task_id="http_deferred", http_conn_id="http_local", endpoint="api/item", method="GET", deferrable=True
    )
    mail = EmailOperator(
        task_id="email", conn_id="smtp_local", to="ops@example.com", subject="matrix {{ ds }}", html_content="<b>hi</b>"
    )

    @task
    def write_upload() -> str:
        path = os.path.join(SCRATCH, "upload.txt")
        with open(path, "w") as handle:
            handle.write("uploaded by riir")
        return path

    upload = FTPFileTransmitOperator(
        task_id="ftp_put",
        ftp_conn_id="ftp_local",
        local_filepath=os.path.join(SCRATCH, "upload.txt"),
        remote_filepath="/upload.txt",
        operation="put",
    )
    uploaded = FTPSensor(task_id="ftp_sensor", ftp_conn_id="ftp_local", path="/upload.txt", poke_interval=1)

    @task
    def redis_set() -> None:
        RedisHook(redis_conn_id="redis_local").get_conn().set(f"{KEY}:flag", "1")

    publish = RedisPublishOperator(task_id="redis_publish", redis_conn_id="redis_local", channel=KEY, message="hi")
    flag = RedisKeySensor(task_id="redis_key", redis_conn_id="redis_local", key=f"{KEY}:flag", poke_interval=1)
    slack = SlackWebhookOperator(task_id="slack", slack_webhook_conn_id="slack_local", message="matrix done")

    remote = SSHOperator(task_id="ssh_command", ssh_conn_id="ssh_local", command="echo riir-ssh")
    sftp_put = SFTPOperator(
        task_id="sftp_put",
        ssh_conn_id="ssh_local",
        local_filepath=os.path.join(SCRATCH, "upload.txt"),
        remote_filepath="/incoming/upload.txt",
        operation="put",
        create_intermediate_dirs=True,
    )
    sftp_seen = SFTPSensor(
        task_id="sftp_sensor", sftp_conn_id="ssh_local", path="/incoming/upload.txt", poke_interval=1
    )

    sqlite_rows >> pg_answer >> pg_hook() >> ready >> [item, posted, deferred] >> mail
    written = write_upload()
    written >> upload >> uploaded
    written >> remote >> sftp_put >> sftp_seen
    redis_set() >> flag >> publish >> slack
