"""Which provider example DAGs run offline here, against which local servers; and why the others do not.

Connection values are templates filled per run: {pg} a fresh PostgreSQL database (URI), {http} the httpbin-like
server, {ftp} the FTP server, {sqlite} a fresh sqlite file, {closed} a loopback port nobody listens on,
{redis} redis at 127.0.0.1:6379 on a database of its own. `pg_setup` is SQL run in the fresh database first,
`redis_keys` are set before the run (both sides start from the same state).
"""

from __future__ import annotations

from dataclasses import dataclass, field

SALES = [
    "CREATE TABLE sales (customer_id integer, amount integer)",
    "INSERT INTO sales SELECT g % 40, g FROM generate_series(1, 100) AS g",
]


@dataclass(frozen=True)
class ExampleCase:
    dist: str
    path: str  # below the sdist's tests/system/
    dag_id: str
    connections: dict[str, str]
    logical_date: str = "2024-03-05T00:00:00+00:00"
    pg_setup: tuple[str, ...] = ()
    redis_keys: dict[str, str] = field(default_factory=dict)
    local_files: dict[str, str] = field(default_factory=dict)  # path -> content written before each run
    sftp_dirs: tuple[str, ...] = ()  # directories created in the SSH/SFTP server's root before each run
    # Other distributions the example imports (installed in both venvs at the project venv's version).
    extra_dists: tuple[str, ...] = ()


CASES = [
    ExampleCase("apache-airflow-providers-sqlite", "sqlite/example_sqlite.py", "example_sqlite",
                {"sqlite_default": '{{"conn_type": "sqlite", "host": "{sqlite}"}}'}),
    ExampleCase("apache-airflow-providers-postgres", "postgres/example_postgres.py", "postgres_operator_dag",
                {"postgres_default": "{pg}"}),
    ExampleCase("apache-airflow-providers-http", "http/example_http.py", "example_http_operator",
                {"http_default": "{http}"}),
    ExampleCase("apache-airflow-providers-ftp", "ftp/example_ftp.py", "example_ftp_ftps_put_get",
                {"ftp_default": "{ftp}", "ftps_default": "{closed}"},
                local_files={"/tmp/filepath": "riir compat ftp payload\n"}),
    ExampleCase("apache-airflow-providers-redis", "redis/example_redis_publish.py", "redis_example",
                {"redis_default": "{redis}"}, redis_keys={"your_key": "present"}),
    # These two start in December 2024 / 2025: on an earlier logical date Airflow creates no task instance for
    # tasks that have not started yet, and riir does not make that distinction yet (engine, reported).
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_sql_threshold_check.py",
                "example_sql_threshold_check_query", {"sales_db": "{pg}"}, pg_setup=tuple(SALES),
                logical_date="2025-01-06T00:00:00+00:00"),
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_sql_value_check.py",
                "example_sql_value_check_query", {"sales_db": "{pg}"}, pg_setup=tuple(SALES),
                logical_date="2026-01-05T00:00:00+00:00"),
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_sql_column_table_check.py",
                "example_sql_column_table_check", {"airflow_db": "{pg}"},
                pg_setup=("CREATE TABLE ab_role (id integer, name text)", "INSERT INTO ab_role VALUES (1, 'Admin')")),
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_sql_insert_rows.py",
                "example_sql_insert_rows", {"airflow_db": "{pg}"}),
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_sql_bulk_load.py",
                "example_sql_bulk_load", {"airflow_db": "{pg}"}),
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_generic_transfer.py",
                "example_generic_transfer", {"airflow_db": "{pg}"},
                pg_setup=("CREATE TABLE connection (conn_id text, conn_type text)",
                          "INSERT INTO connection VALUES ('a', 'http'), ('b', 'sqlite')")),
    # SQLExecuteQueryOperator and @task.sql against the machine's PostgreSQL; `ab_role` is the table of Airflow's
    # metadata database the example reads (made here with one row).
    ExampleCase("apache-airflow-providers-common-sql", "common/sql/example_sql_execute_query.py",
                "example_sql_execute_query", {"airflow_db": "{pg}"},
                pg_setup=("CREATE TABLE ab_role (id integer, name text)", "INSERT INTO ab_role VALUES (1, 'Admin')")),
    # Slack: a local stand-in for Slack's Web API and incoming webhooks (tests/providers/servers.py slack_server).
    ExampleCase("apache-airflow-providers-slack", "slack/example_slack_webhook.py", "slack_webhook_example_dag",
                {"slack_default": "{slack_webhook}"}),
    ExampleCase("apache-airflow-providers-slack", "slack/example_slack.py", "slack_api_example_dag",
                {"slack_conn_id": "{slack_api}"}),
    # Neither venv has pandas, which SqlToSlackApiFileOperator needs: compared as the same failure.
    ExampleCase("apache-airflow-providers-slack", "slack/example_sql_to_slack.py", "example_sql_to_slack",
                {"postgres_default": "{pg}", "slack_api_default": "{slack_api}"}),
    # An asset watched through redis pub/sub: `dags test` runs the DAG's task (watchers run in the triggerer).
    ExampleCase("apache-airflow-providers-redis", "redis/example_dag_message_queue_trigger.py",
                "example_redis_watcher_1", {"redis_default": "{redis}"},
                extra_dists=("apache-airflow-providers-common-messaging",)),
]  # fmt: skip

# Examples whose STRUCTURE is compared (both sides load them) but whose run is not, with the reason (NOT_RUN).
STRUCTURE_ONLY = [
    ("apache-airflow-providers-sftp", "sftp/example_sftp_sensor.py"),
    ("apache-airflow-providers-docker", "docker/example_docker.py"),
    ("apache-airflow-providers-docker", "docker/example_docker_copy_data.py"),
    ("apache-airflow-providers-docker", "docker/example_docker_swarm.py"),
    ("apache-airflow-providers-docker", "docker/example_taskflow_api_docker_virtualenv.py"),
    ("apache-airflow-providers-cncf-kubernetes", "cncf/kubernetes/example_kubernetes.py"),
]

# Example DAGs of the matrix providers that are not run here, with the reason.
NOT_RUN = {
    "cncf/kubernetes/*": "need a Kubernetes cluster (pods are created through the Kubernetes API; none here)",
    "docker/*": "the Docker daemon here has no image the examples name (centos:latest, python:3.9-slim-bookworm) "
    "and cannot pull one: no route to a registry",
    "common/io/example_file_transfer_local_to_s3.py": "writes to S3 (needs the amazon provider and AWS)",
    "sftp/example_sftp_sensor.py": "never ends under `dags test`, in Airflow too (run against a local SSH/SFTP "
    "server, Airflow's run was still going after 600 s): `dags test` runs one task at a time, and the poke-mode "
    "SFTPSensor waits (7-day timeout) for the file that create_file, queued behind it, would create",
    "slack/example_sql_to_slack_webhook.py": "queries `presto_default`: needs a Presto server and the presto provider",
}
