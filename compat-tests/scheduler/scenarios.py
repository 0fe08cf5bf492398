"""The scheduler scenarios: which DAG files each needs and the REST steps that drive it (stdlib only: both sides'
runners import this, Airflow's in its own venv). What is compared afterwards is in check.py.

A scenario's steps run in their own thread against `api` (driver.Api) once every DAG file is loaded. Times come
from explicit logical dates and catchup, not from the wall clock, except where a feature is about time (timeouts,
deadlines, reschedules), and there by a few seconds only.
"""

import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAGS = HERE / "dags"
VERSIONS = HERE / "versions"


def sched(day, hour=0):
    return f"scheduled__2024-01-{day:02d}T{hour:02d}:00:00+00:00"


class Scenario:
    def __init__(self, name, files, dag_ids, steps, bullet):
        self.name, self.files, self.dag_ids, self.steps, self.bullet = name, files, dag_ids, steps, bullet


SCENARIOS = {}


def scenario(name, files, dag_ids, bullet):
    def register(steps):
        SCENARIOS[name] = Scenario(name, files, dag_ids, steps, bullet)
        return steps

    return register


def unpause_all(api, *dag_ids):
    for dag_id in dag_ids:
        api.unpause(dag_id)


def catchup(dag_id, count):
    def steps(api):
        api.unpause(dag_id)
        api.wait_runs_done(dag_id, count)

    return steps


def manual(dag_id, *run_ids, pool=None):
    def steps(api):
        if pool:
            api.create_pool(*pool)
        api.unpause(dag_id)
        for run_id in run_ids:
            api.trigger(dag_id, run_id)
        api.wait_runs_done(dag_id, len(run_ids))

    return steps


@scenario("depends_on_past", ["sc_depends_on_past.py"], ["sc_depends_on_past"], "depends_on_past")
def _depends_on_past(api):
    dag = "sc_depends_on_past"
    api.unpause(dag)
    api.wait_run_done(dag, sched(2))
    api.wait_run_done(dag, sched(1))
    time.sleep(8)  # 01-03's `a` must still be waiting on 01-02's failed `a`
    api.clear(dag, ["a"], sched(2))
    api.wait_runs_done(dag, 3)


SCENARIOS_SIMPLE = [
    ("ignore_first_depends_on_past", "sc_ignore_first_dop", 3, "depends_on_past"),
    ("wait_for_downstream", "sc_wait_for_downstream", 2, "wait_for_downstream"),
    ("max_active_runs_1", "sc_max_active_runs", 4, "max_active_runs"),
    ("max_active_runs_2", "sc_max_active_runs_two", 5, "max_active_runs"),
    ("prev_success", "sc_prev_success", 3, "prev_*_success"),
    ("xcom_include_prior_dates", "sc_xcom_prior", 3, "xcom_pull across runs"),
    ("dagrun_timeout", "sc_dagrun_timeout", 1, "dagrun_timeout"),
]
for _name, _dag, _count, _bullet in SCENARIOS_SIMPLE:
    scenario(_name, [f"{_dag}.py"], [_dag], _bullet)(catchup(_dag, _count))

scenario("max_active_tasks", ["sc_max_active_tasks.py"], ["sc_max_active_tasks"], "max_active_tasks")(
    manual("sc_max_active_tasks", "m1")
)
scenario("max_active_tis_per_dag", ["sc_max_tis_per_dag.py"], ["sc_max_tis_per_dag"], "max_active_tis_per_dag")(
    manual("sc_max_tis_per_dag", "m1", "m2", "m3")
)
scenario(
    "max_active_tis_per_dagrun", ["sc_max_tis_per_dagrun.py"], ["sc_max_tis_per_dagrun"], "max_active_tis_per_dagrun"
)(manual("sc_max_tis_per_dagrun", "m1"))
scenario("pool_slots", ["sc_pool_slots.py"], ["sc_pool_slots"], "pools and slots")(
    manual("sc_pool_slots", "m1", pool=("sc_pool", 2))
)
for _rule in ("downstream", "upstream", "absolute"):
    scenario(f"priority_{_rule}", [f"sc_priority_{_rule}.py"], [f"sc_priority_{_rule}"], "priority_weight")(
        manual(f"sc_priority_{_rule}", "m1", pool=(f"sc_prio_{_rule}", 1))
    )
scenario("priority_plugin", ["sc_priority_plugin.py"], ["sc_priority_plugin"], "priority_weight (plugin strategies)")(
    manual("sc_priority_plugin", "m1", pool=("sc_prio_plugin", 1))
)
scenario("task_reschedule_count", ["sc_reschedule_count.py"], ["sc_reschedule_count"], "task_reschedule_count")(
    manual("sc_reschedule_count", "m1")
)


@scenario("sensor_reschedule", ["sc_sensor_reschedule.py"], ["sc_sensor_reschedule"], "durable sensor reschedules")
def _sensor_reschedule(api):
    dag = "sc_sensor_reschedule"
    api.unpause(dag)
    api.trigger(dag, "m1")
    api.wait_ti(dag, "m1", "waits", ["up_for_reschedule", "success", "failed"])
    api.restart("sc_sensor_reschedule.py")  # riir: the app restarts while the sensor waits for its next poke
    api.wait_runs_done(dag, 1)


@scenario("xcom_other_dag", ["sc_xcom_producer.py", "sc_xcom_consumer.py"], ["sc_xcom_producer", "sc_xcom_consumer"],
          "xcom_pull across DAGs; ExternalTaskSensor")  # fmt: skip
def _xcom_other_dag(api):
    unpause_all(api, "sc_xcom_consumer", "sc_xcom_producer")
    api.wait_runs_done("sc_xcom_producer", 2)
    api.wait_runs_done("sc_xcom_consumer", 2)


@scenario("auto_pause", ["sc_auto_pause.py", "sc_external_failed.py"], ["sc_auto_pause", "sc_external_failed"],
          "max_consecutive_failed_dag_runs; ExternalTaskSensor failed_states")  # fmt: skip
def _auto_pause(api):
    unpause_all(api, "sc_auto_pause", "sc_external_failed")
    api.wait("sc_auto_pause paused", lambda: api.is_paused("sc_auto_pause"))
    api.wait_runs_done("sc_auto_pause", 2)
    api.wait_runs_done("sc_external_failed", 1)


@scenario("deadline_alerts", ["sc_deadline.py"], ["sc_deadline_missed", "sc_deadline_met"], "deadline alerts")
def _deadline(api):
    unpause_all(api, "sc_deadline_missed", "sc_deadline_met")
    api.trigger("sc_deadline_missed", "m1")
    api.trigger("sc_deadline_met", "m1")
    api.wait_runs_done("sc_deadline_missed", 1)
    api.wait_runs_done("sc_deadline_met", 1)
    trace = Path(os.environ["SC_TRACE"]) / "deadline.log"
    api.wait("the missed deadline's callback", lambda: trace.exists() and "missed" in trace.read_text())


scenario("catchup_off", ["sc_catchup_off.py"], ["sc_catchup_off"], "catchup")(catchup("sc_catchup_off", 1))


@scenario("schedule_change", ["sc_schedule_change.py"], ["sc_schedule_change"], "schedule change between versions")
def _schedule_change(api):
    api.unpause("sc_schedule_change")
    api.wait_runs_done("sc_schedule_change", 3)
    api.update_file("sc_schedule_change.py", VERSIONS / "sc_schedule_change_v2.py")
    api.wait_runs_done("sc_schedule_change", 5)
    time.sleep(5)  # no further run may appear after 01-05
    api.wait_runs_done("sc_schedule_change", 5)


@scenario("clear_downstream", ["sc_clear_family.py"], ["sc_clear_family"], "clearing: task + downstream / upstream")
def _clear_family(api):
    dag = "sc_clear_family"
    api.unpause(dag)
    api.trigger(dag, "down")
    api.trigger(dag, "up")
    api.wait_runs_done(dag, 2)
    api.clear(dag, ["b"], "down", include_downstream=True)
    api.clear(dag, ["c"], "up", include_upstream=True)
    time.sleep(2)
    api.wait_runs_done(dag, 2)


@scenario("clear_future_past", ["sc_clear_future_past.py"], ["sc_clear_future_past"], "clearing: future / past")
def _clear_future_past(api):
    dag = "sc_clear_future_past"
    api.unpause(dag)
    api.wait_runs_done(dag, 3)
    api.clear(dag, ["forward"], sched(2), include_future=True)
    api.clear(dag, ["backward"], sched(2), include_past=True)
    time.sleep(2)
    api.wait_runs_done(dag, 3)


@scenario("clear_only_failed", ["sc_clear_only_failed.py"], ["sc_clear_only_failed"], "clearing: only failed")
def _clear_only_failed(api):
    dag = "sc_clear_only_failed"
    api.unpause(dag)
    api.trigger(dag, "m1")
    api.wait_runs_done(dag, 1)
    api.clear(dag, ["flaky", "after", "fine"], "m1", only_failed=True)
    time.sleep(2)
    api.wait_runs_done(dag, 1)


@scenario("clear_whole_run", ["sc_clear_run.py"], ["sc_clear_run"], "clearing: whole run")
def _clear_whole_run(api):
    dag = "sc_clear_run"
    api.unpause(dag)
    api.trigger(dag, "m1")
    api.wait_runs_done(dag, 1)
    api.clear_run(dag, "m1")
    time.sleep(2)
    api.wait_runs_done(dag, 1)


@scenario("mark_success_downstream", ["sc_mark_success.py"], ["sc_mark_success"], "mark success with downstream")
def _mark_success(api):
    dag = "sc_mark_success"
    api.unpause(dag)
    api.trigger(dag, "m1")
    api.wait_runs_done(dag, 1)
    api.mark(dag, "m1", "broken", "success", include_downstream=True)
    time.sleep(3)
    api.wait_runs_done(dag, 1)


@scenario("mark_failed_upstream", ["sc_mark_failed.py"], ["sc_mark_failed"], "mark failed with upstream")
def _mark_failed(api):
    dag = "sc_mark_failed"
    api.unpause(dag)
    api.trigger(dag, "m1")
    api.wait_runs_done(dag, 1)
    api.mark(dag, "m1", "last", "failed", include_upstream=True)
    time.sleep(3)
    api.wait_runs_done(dag, 1)


@scenario("mark_failed_future", ["sc_mark_future.py"], ["sc_mark_future"], "mark failed with future")
def _mark_future(api):
    dag = "sc_mark_future"
    api.unpause(dag)
    api.wait_runs_done(dag, 3)
    api.mark(dag, sched(2), "t", "failed", include_future=True)
    time.sleep(3)
    api.wait_runs_done(dag, 3)


@scenario(
    "trigger_dagrun_wait_reset",
    ["sc_trigger_controller.py", "sc_trigger_target.py"],
    ["sc_trigger_controller", "sc_trigger_target"],
    "TriggerDagRunOperator wait_for_completion, reset_dag_run",
)
def _trigger_wait_reset(api):  # fmt: skip
    unpause_all(api, "sc_trigger_target", "sc_trigger_controller")
    api.trigger("sc_trigger_controller", "first")
    api.wait_run_done("sc_trigger_controller", "first")
    api.trigger("sc_trigger_controller", "second")
    api.wait_run_done("sc_trigger_controller", "second")
    api.wait_runs_done("sc_trigger_target", 1)


@scenario(
    "trigger_dagrun_failed_target",
    ["sc_trigger_nowait.py", "sc_trigger_failing.py"],
    ["sc_trigger_nowait", "sc_trigger_failing"],
    "TriggerDagRunOperator failed_states",
)
def _trigger_failed(api):  # fmt: skip
    unpause_all(api, "sc_trigger_failing", "sc_trigger_nowait")
    api.trigger("sc_trigger_nowait", "n1")
    api.wait_runs_done("sc_trigger_nowait", 1)
    api.wait_runs_done("sc_trigger_failing", 2)


@scenario(
    "external_task_marker",
    ["sc_marker_parent.py", "sc_marker_child.py"],
    ["sc_marker_parent", "sc_marker_child"],
    "ExternalTaskSensor / ExternalTaskMarker",
)
def _marker(api):  # fmt: skip
    unpause_all(api, "sc_marker_child", "sc_marker_parent")
    api.wait_runs_done("sc_marker_parent", 1)
    api.wait_runs_done("sc_marker_child", 1)
    api.clear("sc_marker_parent", ["start"], sched(1), include_downstream=True)
    time.sleep(3)
    api.wait_runs_done("sc_marker_parent", 1)
    api.wait_runs_done("sc_marker_child", 1)


@scenario(
    "asset_condition_and_alias",
    ["sc_asset_producers.py", "sc_asset_consumers.py"],
    ["sc_produce_a1", "sc_produce_a2", "sc_produce_alias", "sc_asset_condition", "sc_asset_alias_consumer"],
    "asset-triggered: conditions, AssetAlias",
)
def _assets(api):  # fmt: skip
    unpause_all(api, "sc_asset_condition", "sc_asset_alias_consumer", "sc_produce_a1", "sc_produce_a2",
                "sc_produce_alias")  # fmt: skip
    api.trigger("sc_produce_a1", "p1")
    api.wait_run_done("sc_produce_a1", "p1")
    time.sleep(5)  # a1 alone must not trigger the (a1 & a2) | aliased consumer
    api.trigger("sc_produce_a2", "p2")
    api.wait_run_done("sc_produce_a2", "p2")
    api.wait_runs_done("sc_asset_condition", 1)
    api.trigger("sc_produce_alias", "p3")
    api.wait_run_done("sc_produce_alias", "p3")
    api.wait_runs_done("sc_asset_condition", 2)
    api.wait_runs_done("sc_asset_alias_consumer", 1)


@scenario("asset_watcher", ["sc_asset_watcher.py"], ["sc_asset_watcher"], "asset-triggered: AssetWatcher")
def _watcher(api):
    api.unpause("sc_asset_watcher")
    time.sleep(3)
    flag = Path(os.environ["SC_TRACE"]) / "watched.flag"
    flag.write_text("go")
    api.wait("the watcher to consume the flag", lambda: not flag.exists())
    api.wait_runs_done("sc_asset_watcher", 1)
