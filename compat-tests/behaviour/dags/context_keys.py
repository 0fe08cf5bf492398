"""The runtime context passed to a task: dates, run, ti, task, params, conf, var, conn, macros (deterministic ones)."""

# compat-conf: {"who": "tester", "n": 2}

import datetime

from airflow.sdk import dag, task


@dag(
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    catchup=False,
    params={"greeting": "hi", "n": 1},
    tags=["compat"],
)
def context_keys():
    @task
    def dates(**context) -> dict:
        keys = ["ds", "ds_nodash", "ts", "ts_nodash", "ts_nodash_with_tz"]
        out = {k: context[k] for k in keys}
        for k in ("logical_date", "data_interval_start", "data_interval_end"):
            out[k] = context[k]
            out[k + "_iso"] = context[k].isoformat()
            out[k + "_type"] = type(context[k]).__name__
        for k in ("prev_data_interval_start_success", "prev_data_interval_end_success", "prev_start_date_success"):
            # Lazy proxies in Airflow; with no earlier successful run they wrap None.
            out[k] = str(context.get(k))
        return out

    @task
    def run_and_task(**context) -> dict:
        ti = context["ti"]
        run = context["dag_run"]
        return {
            "run_id_prefix": context["run_id"].split("__")[0],
            "run_id_matches_dag_run": context["run_id"] == run.run_id,
            "run_type": str(run.run_type),
            "dag_run_conf": run.conf,
            "dag_run_logical_date": run.logical_date.isoformat(),
            "ti_task_id": ti.task_id,
            "ti_dag_id": ti.dag_id,
            "ti_map_index": ti.map_index,
            "ti_try_number": ti.try_number,
            "ti_max_tries": ti.max_tries,
            "task_instance_is_ti": context["task_instance"] is ti,
            "task_task_id": context["task"].task_id,
            "task_type": type(context["task"]).__name__,
            "dag_id": context["dag"].dag_id,
            "dag_tags": sorted(context["dag"].tags),
            "params": dict(context["params"]),
            "task_instance_key_str": context.get("task_instance_key_str", "absent"),
            "try_number": context.get("try_number", "absent"),
            "expanded_ti_count": context.get("expanded_ti_count", "absent"),
            "test_mode": context.get("test_mode", "absent"),
            "has_conf_key": "conf" in context,
            "inlets": list(context.get("inlets", ["absent"])),
            "outlets": list(context.get("outlets", ["absent"])),
            "all_keys": sorted(context),
        }

    @task
    def var_conn_macros(**context) -> dict:
        var = context["var"]  # a dict: {"value": accessor, "json": accessor}
        conn = context["conn"]
        macros = context["macros"]
        return {
            "var_value": var["value"].greeting,
            "var_value_get": var["value"].get("number"),
            "var_value_default": var["value"].get("missing", "dflt"),
            "var_json": var["json"].settings,
            "var_json_get": var["json"].get("settings")["region"],
            "conn_host": conn.pg_uri.host,
            "conn_port": conn.pg_uri.port,
            "conn_login": conn.pg_uri.login,
            "conn_schema": conn.pg_uri.schema,
            "conn_extra": conn.pg_uri.extra_dejson,
            "conn_type": conn.http_json.conn_type,
            "ds_add": macros.ds_add(context["ds"], 3),
            "ds_format": macros.ds_format(context["ds"], "%Y-%m-%d", "%Y%m%d"),
        }

    @task
    def templated_args(ds=None, ts=None, params=None, dag_run=None, unknown="kept") -> list:
        return [ds, ts, dict(params), dag_run.conf, unknown]

    dates()
    run_and_task()
    var_conn_macros()
    templated_args()


context_keys()
