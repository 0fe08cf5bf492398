"""The scripted CLI session run against real Airflow 3.3.2 and against riir-airflow on the same DAG folder.

Each step is (name, argv after the program name, what to compare). `compare`:
- "json:<key>,<key>": the `-o json` output; record keys must be the same on both sides and the listed keys' values
  equal (ids, states, counts), records matched in order;
- "lines": stdout lines equal (after the normalisation in check.py);
- "exit": only the exit code (and that both agree on success or failure).
Every step also compares the exit code.
"""

from __future__ import annotations

STEPS: list[tuple[str, list[str], str]] = [
    ("reserialize", ["dags", "reserialize"], "exit"),
    ("dags list", ["dags", "list", "-o", "json"], "json:dag_id,is_paused,owners"),
    (
        "dags list columns",
        ["dags", "list", "-o", "json", "--columns", "dag_id,tags,timetable_summary"],
        "json:dag_id,tags,timetable_summary",
    ),
    (
        "dags details",
        ["dags", "details", "cli_etl", "-o", "json"],
        "json:dag_id,dag_display_name,is_paused,is_stale,relative_fileloc,description,timetable_summary,tags,"
        "max_active_tasks,max_active_runs,owners,timetable_periodic,is_backfillable,has_import_errors",
    ),
    ("dags details missing", ["dags", "details", "no_such_dag", "-o", "json"], "exit"),
    ("list-import-errors", ["dags", "list-import-errors", "-o", "json"], "json:"),
    ("report", ["dags", "report", "-o", "json"], "json:file,dag_num,task_num,dags"),
    ("tasks list", ["tasks", "list", "cli_etl"], "lines"),
    ("unpause", ["dags", "unpause", "cli_etl", "-o", "json"], "json:dag_id,is_paused"),
    ("unpause again", ["dags", "unpause", "cli_etl", "-o", "json"], "lines"),
    ("pause", ["dags", "pause", "cli_etl", "-o", "json"], "json:dag_id,is_paused"),
    (
        "unpause regex",
        ["dags", "unpause", "cli_p.*", "--treat-dag-id-as-regex", "-y", "-o", "json"],
        "json:dag_id,is_paused",
    ),
    (
        "pause regex",
        ["dags", "pause", "cli_p.*", "--treat-dag-id-as-regex", "-y", "-o", "json"],
        "json:dag_id,is_paused",
    ),
    (
        "trigger",
        [
            "dags",
            "trigger",
            "cli_etl",
            "-r",
            "run1",
            "-l",
            "2024-01-02T00:00:00+00:00",
            "-c",
            '{"count": 2}',
            "-o",
            "json",
        ],
        "json:conf,dag_id,dag_run_id,logical_date,run_type,state,triggering_user_name",
    ),
    ("trigger again", ["dags", "trigger", "cli_etl", "-r", "run1", "-o", "json"], "exit"),
    (
        "states-for-dag-run",
        ["tasks", "states-for-dag-run", "cli_etl", "run1", "-o", "json"],
        "json:dag_id,logical_date,task_id,state",
    ),
    ("task state", ["tasks", "state", "cli_etl", "extract", "run1"], "lines"),
    ("dag state", ["dags", "state", "cli_etl", "run1"], "lines"),
    ("dag state by date", ["dags", "state", "cli_etl", "2024-01-02T00:00:00+00:00"], "lines"),
    ("list-runs", ["dags", "list-runs", "cli_etl", "-o", "json"], "json:dag_id,run_id,state,logical_date"),
    ("list-runs state", ["dags", "list-runs", "cli_etl", "--state", "success", "-o", "json"], "json:run_id"),
    (
        "backfill",
        [
            "backfill",
            "create",
            "--dag-id",
            "cli_etl",
            "--from-date",
            "2024-02-01",
            "--to-date",
            "2024-02-03",
            "--max-active-runs",
            "1",
        ],
        "exit",
    ),
    (
        "list-runs after backfill",
        ["dags", "list-runs", "cli_etl", "-o", "json"],
        "json:dag_id,run_id,state,logical_date",
    ),
    ("list-runs no backfill", ["dags", "list-runs", "cli_etl", "--no-backfill", "-o", "json"], "json:run_id"),
    ("variables set", ["variables", "set", "greeting", "hello", "--description", "a greeting"], "lines"),
    ("variables set json", ["variables", "set", "limits", '{"max": 3}'], "lines"),
    ("variables list", ["variables", "list", "-o", "json"], "json:key"),
    ("variables list values", ["variables", "list", "--show-values", "-o", "json"], "json:key,val"),
    ("variables list hidden", ["variables", "list", "--show-values", "--hide-sensitive", "-o", "json"], "json:key,val"),
    ("variables get", ["variables", "get", "greeting"], "lines"),
    ("variables get json", ["variables", "get", "limits", "-j"], "lines"),
    ("variables get missing", ["variables", "get", "nope"], "exit"),
    ("variables get default", ["variables", "get", "nope", "-d", "fallback"], "lines"),
    ("variables delete", ["variables", "delete", "greeting"], "lines"),
    ("variables list after delete", ["variables", "list", "-o", "yaml"], "lines"),
    ("pools set", ["pools", "set", "etl_pool", "4", "ETL work"], "lines"),
    ("pools list", ["pools", "list", "-o", "json"], "json:pool,slots,description,include_deferred,team_name"),
    ("pools get", ["pools", "get", "etl_pool", "-o", "json"], "json:pool,slots,description"),
    ("pools get missing", ["pools", "get", "nope", "-o", "json"], "exit"),
    ("pools delete", ["pools", "delete", "etl_pool"], "lines"),
    (
        "connections add",
        ["connections", "add", "my_pg", "--conn-uri", "postgresql://user:pw@db.example:5432/app"],
        "exit",
    ),
    ("connections add twice", ["connections", "add", "my_pg", "--conn-uri", "postgresql://u@h/d"], "exit"),
    ("connections list", ["connections", "list", "-o", "json"], "json:conn_id,conn_type"),
    (
        "connections get",
        ["connections", "get", "my_pg", "-o", "json"],
        "json:conn_id,conn_type,host,schema,login,password,port,extra_dejson",
    ),
    (
        "connections list masked",
        ["connections", "list", "--show-values", "--hide-sensitive", "-o", "json"],
        "json:conn_id,password",
    ),
    ("connections delete", ["connections", "delete", "my_pg"], "lines"),
    ("assets list", ["assets", "list", "-o", "json"], "json:name,uri,group,extra"),
    ("assets details", ["assets", "details", "--name", "cli_report", "-o", "json"], "json:name,uri,group"),
    ("assets details missing", ["assets", "details", "--name", "nope", "-o", "json"], "exit"),
    ("delete", ["dags", "delete", "cli_consumer", "-y"], "exit"),
    ("dags list after delete", ["dags", "list", "-o", "json"], "json:dag_id"),
    ("wrong arguments", ["dags", "list-runs"], "exit"),
    ("unknown command", ["dags", "frobnicate"], "exit"),
]
