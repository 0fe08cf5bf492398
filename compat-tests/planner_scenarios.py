"""Runs scenario DAGs with real Airflow's `dag.test()` and with a `_core.Planner` loop, and compares final states.

`python compat-tests/planner_scenarios.py` (project venv, after `make build-dev`):

1. writes one DAG file per scenario (tasks that succeed, fail with AirflowFailException, skip with
   AirflowSkipException, branch, setup/teardown, mapped tasks and mapped task groups),
2. runs all of them with `dag.test()` in the reference Airflow 3.3.2 venv, which also reports each DAG's structure
   as Airflow sees it (upstreams, trigger rules, setup/teardown, mapping),
3. builds a `Planner` from that structure and drives it with a loop shaped like `dag.test()` (plan, apply the
   decisions, run every ready try with the scenario's planned outcome, repeat),
4. compares the final state of every task instance (with map indexes) and of the run. Exit status 1 on any
   difference.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# A task: id, outcome ("success", "fail", "skip", or "branch" with `follow`), optional trigger_rule, setup /
# teardown flags, `expand` (a literal list or {"xcom": task_id}) for a mapped task, `fail_x` / `skip_x` for map
# values that fail or skip, `returns` (the XCom value), `group` (the mapped task group it is in).
# A group: {"id": ..., "expand": literal list or {"xcom": task_id}}, members listed in `tasks` with `group`.
RULES = [
    "all_success",
    "all_failed",
    "all_done",
    "all_done_min_one_success",
    "all_done_setup_success",
    "one_success",
    "one_failed",
    "one_done",
    "none_failed",
    "none_skipped",
    "always",
    "none_failed_min_one_success",
    "all_skipped",
]


def _rule_matrix() -> dict[str, Any]:
    """Every rule as a join over several upstream combinations, including an upstream_failed one."""
    tasks: list[dict[str, Any]] = [
        {"id": "s1"},
        {"id": "s2"},
        {"id": "f1", "outcome": "fail"},
        {"id": "f2", "outcome": "fail"},
        {"id": "k1", "outcome": "skip"},
        {"id": "k2", "outcome": "skip"},
        {"id": "u1"},  # upstream_failed (below f1)
    ]
    edges = [["f1", "u1"]]
    combos = {
        "sfk": ["s1", "f1", "k1"],
        "sk": ["s1", "k1"],
        "fk": ["f1", "k1"],
        "kk": ["k1", "k2"],
        "ss": ["s1", "s2"],
        "ff": ["f1", "f2"],
        "sf": ["s1", "f1"],
        "us": ["u1", "s1"],
        "uk": ["u1", "k1"],
    }
    for name, ups in combos.items():
        for rule in RULES:
            tid = f"{name}_{rule}"
            tasks.append({"id": tid, "trigger_rule": rule})
            edges += [[u, tid] for u in ups]
    return {"dag_id": "rule_matrix", "tasks": tasks, "edges": edges}


SCENARIOS: list[dict[str, Any]] = [
    {
        "dag_id": "chain_ok",
        "tasks": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "edges": [["a", "b"], ["b", "c"]],
    },
    {
        "dag_id": "diamond_fail",
        "tasks": [
            {"id": "start"},
            {"id": "left", "outcome": "fail"},
            {"id": "right"},
            {"id": "end"},
            {"id": "cleanup", "trigger_rule": "all_done"},
        ],
        "edges": [["start", "left"], ["start", "right"], ["left", "end"], ["right", "end"], ["end", "cleanup"]],
    },
    _rule_matrix(),
    {
        "dag_id": "branching",
        "tasks": [
            {"id": "branch", "outcome": "branch", "follow": ["y"]},
            {"id": "x"},
            {"id": "y"},
            {"id": "after_x"},
            {"id": "after_y"},
            {"id": "join", "trigger_rule": "none_failed_min_one_success"},
            {"id": "join_strict"},
        ],
        "edges": [
            ["branch", "x"],
            ["branch", "y"],
            ["x", "after_x"],
            ["y", "after_y"],
            ["after_x", "join"],
            ["after_y", "join"],
            ["after_x", "join_strict"],
            ["after_y", "join_strict"],
        ],
    },
    {
        "dag_id": "setup_teardown_work_fails",
        "tasks": [
            {"id": "create", "setup": True},
            {"id": "work", "outcome": "fail"},
            {"id": "more"},
            {"id": "delete", "teardown": True},
        ],
        "edges": [["create", "work"], ["work", "more"], ["more", "delete"], ["create", "delete"]],
    },
    {
        "dag_id": "setup_fails",
        "tasks": [
            {"id": "create", "setup": True, "outcome": "fail"},
            {"id": "work"},
            {"id": "more", "trigger_rule": "all_done"},
            {"id": "delete", "teardown": True},
        ],
        "edges": [["create", "work"], ["work", "more"], ["more", "delete"], ["create", "delete"]],
    },
    {
        "dag_id": "setup_skips",
        "tasks": [
            {"id": "create", "setup": True, "outcome": "skip"},
            {"id": "work"},
            {"id": "more", "trigger_rule": "all_done"},
            {"id": "delete", "teardown": True},
        ],
        "edges": [["create", "work"], ["work", "more"], ["more", "delete"], ["create", "delete"]],
    },
    {
        "dag_id": "teardown_fails",
        "tasks": [
            {"id": "create", "setup": True},
            {"id": "work"},
            {"id": "delete", "teardown": True, "outcome": "fail"},
            {"id": "create2", "setup": True},
            {"id": "work2"},
            {"id": "delete2", "teardown": True, "outcome": "fail", "on_failure_fail_dagrun": True},
        ],
        "edges": [
            ["create", "work"],
            ["work", "delete"],
            ["create", "delete"],
            ["create2", "work2"],
            ["work2", "delete2"],
            ["create2", "delete2"],
        ],
    },
    {
        "dag_id": "teardown_only_fails_run_ok",
        "tasks": [
            {"id": "create", "setup": True},
            {"id": "work"},
            {"id": "delete", "teardown": True, "outcome": "fail"},
        ],
        "edges": [["create", "work"], ["work", "delete"], ["create", "delete"]],
    },
    {
        "dag_id": "setup_teardown_scopes",
        "tasks": [
            {"id": "s1", "setup": True},
            {"id": "w1", "outcome": "fail"},
            {"id": "w2", "trigger_rule": "all_done"},
            {"id": "t1", "teardown": True},
            {"id": "s2", "setup": True},
            {"id": "w3"},
            {"id": "w3b", "trigger_rule": "all_done"},
            {"id": "t2", "teardown": True},
            {"id": "s3", "setup": True},
            {"id": "s4", "setup": True, "outcome": "skip"},
            {"id": "w4"},
            {"id": "w5", "trigger_rule": "none_failed"},
            {"id": "t3", "teardown": True},
            {"id": "final", "trigger_rule": "all_done"},
        ],
        "edges": [
            ["s1", "w1"],
            ["w1", "w2"],
            ["w2", "t1"],
            ["s1", "t1"],
            ["s2", "w3"],
            ["w2", "w3"],
            ["w3", "w3b"],
            ["w3b", "t2"],
            ["s2", "t2"],
            ["s3", "w4"],
            ["s4", "w4"],
            ["w4", "w5"],
            ["w5", "t3"],
            ["s3", "t3"],
            ["s4", "t3"],
            ["t1", "final"],
            ["t2", "final"],
            ["t3", "final"],
        ],
    },
    {
        "dag_id": "mapped_literal",
        "tasks": [
            {"id": "m", "expand": [1, 2, 3, 4], "fail_x": [2], "skip_x": [4]},
            {"id": "total"},
            {"id": "report", "trigger_rule": "all_done"},
            {"id": "any_ok", "trigger_rule": "one_success"},
        ],
        "edges": [["m", "total"], ["m", "report"], ["m", "any_ok"]],
    },
    {
        "dag_id": "mapped_xcom",
        "tasks": [
            {"id": "make", "returns": [10, 20, 30]},
            {"id": "m", "expand": {"xcom": "make"}},
            {"id": "total"},
        ],
        "edges": [["m", "total"]],
    },
    {
        "dag_id": "mapped_empty",
        "tasks": [
            {"id": "make", "returns": []},
            {"id": "m", "expand": {"xcom": "make"}},
            {"id": "total"},
            {"id": "report", "trigger_rule": "all_done"},
        ],
        "edges": [["m", "total"], ["m", "report"]],
    },
    {
        "dag_id": "mapped_input_fails",
        "tasks": [
            {"id": "make", "returns": [1, 2], "outcome": "fail"},
            {"id": "m", "expand": {"xcom": "make"}, "trigger_rule": "all_done"},
            {"id": "report", "trigger_rule": "all_done"},
        ],
        "edges": [["m", "report"]],
    },
    {
        "dag_id": "mapped_group",
        "groups": [{"id": "g", "expand": {"xcom": "make"}}],
        "tasks": [
            {"id": "make", "returns": [1, 2, 3]},
            {"id": "g.a", "group": "g", "fail_x": [2]},
            {"id": "g.b", "group": "g"},
            {"id": "g.c", "group": "g", "trigger_rule": "all_done"},
            {"id": "after", "trigger_rule": "all_done"},
            {"id": "strict"},
        ],
        "edges": [["g.a", "g.b"], ["g.b", "g.c"], ["g.c", "after"], ["g.c", "strict"]],
    },
    {
        "dag_id": "mapped_fast_rules",
        "groups": [{"id": "g", "expand": [1, 2, 3]}],
        "tasks": [
            {"id": "m", "expand": [1, 2, 3], "fail_x": [2], "skip_x": [3]},
            {"id": "any_failed", "trigger_rule": "one_failed"},
            {"id": "any_done", "trigger_rule": "one_done"},
            {"id": "none_failed", "trigger_rule": "none_failed"},
            {"id": "g.a", "group": "g", "fail_x": [2], "skip_x": [3]},
            {"id": "g.one_ok", "group": "g", "trigger_rule": "one_success"},
            {"id": "g.one_failed", "group": "g", "trigger_rule": "one_failed"},
            {"id": "g.min_one", "group": "g", "trigger_rule": "none_failed_min_one_success"},
            {"id": "g.all_skipped", "group": "g", "trigger_rule": "all_skipped"},
            {"id": "end", "trigger_rule": "all_done"},
        ],
        "edges": [
            ["m", "any_failed"],
            ["m", "any_done"],
            ["m", "none_failed"],
            ["g.a", "g.one_ok"],
            ["g.a", "g.one_failed"],
            ["g.a", "g.min_one"],
            ["g.a", "g.all_skipped"],
            ["g.one_ok", "end"],
            ["g.one_failed", "end"],
            ["g.min_one", "end"],
            ["g.all_skipped", "end"],
        ],
    },
    {
        "dag_id": "mapped_group_xcom_fast",
        "groups": [{"id": "g", "expand": {"xcom": "make"}}],
        "tasks": [
            {"id": "make", "returns": [1, 2, 3]},
            {"id": "g.a", "group": "g", "fail_x": [2], "skip_x": [3]},
            {"id": "g.one_ok", "group": "g", "trigger_rule": "one_success"},
            {"id": "g.one_failed", "group": "g", "trigger_rule": "one_failed"},
            {"id": "g.min_one", "group": "g", "trigger_rule": "none_failed_min_one_success"},
            {"id": "g.all_skipped", "group": "g", "trigger_rule": "all_skipped"},
            {"id": "g.after_min_one", "group": "g", "trigger_rule": "one_done"},
            {"id": "end", "trigger_rule": "all_done"},
        ],
        "edges": [
            ["g.a", "g.one_ok"],
            ["g.a", "g.one_failed"],
            ["g.a", "g.min_one"],
            ["g.a", "g.all_skipped"],
            ["g.min_one", "g.after_min_one"],
            ["g.one_ok", "end"],
            ["g.one_failed", "end"],
            ["g.after_min_one", "end"],
            ["g.all_skipped", "end"],
        ],
    },
    {
        "dag_id": "mapped_group_skip",
        "groups": [{"id": "g", "expand": [1, 2]}],
        "tasks": [
            {"id": "start"},
            {"id": "g.a", "group": "g", "skip_x": [1]},
            {"id": "g.b", "group": "g"},
            {"id": "g.c", "group": "g", "trigger_rule": "none_failed_min_one_success"},
            {"id": "after"},
        ],
        "edges": [["start", "g.a"], ["g.a", "g.b"], ["g.b", "g.c"], ["g.c", "after"]],
    },
]

DAG_TEMPLATE = """
import json

from airflow.sdk import DAG, setup, task, task_group, teardown
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

SPEC = json.loads({spec!r})


def callable_for(t):
    outcome = t.get("outcome", "success")

    def run(x=None):
        if outcome == "fail" or (x is not None and x in t.get("fail_x", [])):
            raise AirflowFailException("planned failure")
        if outcome == "skip" or (x is not None and x in t.get("skip_x", [])):
            raise AirflowSkipException("planned skip")
        if outcome == "branch":
            return t["follow"]
        return t.get("returns")

    return run


def decorated(t):
    kwargs = {{"task_id": t["id"].split(".")[-1], "retries": 0}}
    if "trigger_rule" in t:
        kwargs["trigger_rule"] = t["trigger_rule"]
    if t.get("outcome") == "branch":
        return task.branch(**kwargs)(callable_for(t))
    deco = task(**kwargs)(callable_for(t))
    if t.get("setup"):
        deco = setup(deco)
    if t.get("teardown"):
        deco = teardown(deco, on_failure_fail_dagrun=t.get("on_failure_fail_dagrun", False))
    return deco


with DAG(SPEC["dag_id"], schedule=None) as dag:
    objs = {{}}
    groups = {{g["id"]: g for g in SPEC.get("groups", [])}}

    def arg(expand):
        return objs[expand["xcom"]] if isinstance(expand, dict) else expand

    for t in SPEC["tasks"]:
        if "group" in t:
            continue
        if "expand" in t:
            objs[t["id"]] = decorated(t).expand(x=arg(t["expand"]))
        else:
            objs[t["id"]] = decorated(t)()
    for gid, g in groups.items():
        members = [t for t in SPEC["tasks"] if t.get("group") == gid]

        def body(x, members=members):
            inner = {{}}
            for m in members:
                inner[m["id"]] = decorated(m)(x)
            for a, b in SPEC["edges"]:
                if a in inner and b in inner:
                    inner[a] >> inner[b]
            return inner

        task_group(group_id=gid)(body).expand(x=arg(g["expand"]))
    for a, b in SPEC["edges"]:
        ga = next((t.get("group") for t in SPEC["tasks"] if t["id"] == a), None)
        gb = next((t.get("group") for t in SPEC["tasks"] if t["id"] == b), None)
        if ga and gb:
            continue  # inside the group, set above
        up = dag.get_task(a)
        down = dag.get_task(b)
        up >> down
"""

INSIDE = r"""
import json, sys, subprocess, importlib.util, os
from pathlib import Path

dags = Path(sys.argv[1])
subprocess.run(["airflow", "db", "migrate"], check=True, capture_output=True)
from sqlalchemy import select
from airflow.models.taskinstance import TaskInstance
from airflow.sdk.definitions.mappedoperator import MappedOperator
from airflow.utils.session import create_session

out = {}
for path in sorted(dags.glob("*.py")):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        module.dag.validate()
    except Exception as e:
        out[path.stem] = {"error": repr(e)}
        continue
    dag = module.dag
    structure = []
    for t in dag.tasks:
        is_mapped = isinstance(t, MappedOperator)
        groups = [g.group_id for g in t.iter_mapped_task_groups()]
        structure.append({
            "task_id": t.task_id,
            "upstream": sorted(t.upstream_task_ids),
            "trigger_rule": getattr(t.trigger_rule, "value", t.trigger_rule),
            "is_setup": bool(t.is_setup),
            "is_teardown": bool(t.is_teardown),
            "on_failure_fail_dagrun": bool(getattr(t, "on_failure_fail_dagrun", False)),
            "priority_weight": t.priority_weight,
            "mapped_groups": groups,
            "is_mapped": is_mapped,
            "mapped_dependencies": [o.task_id for o in t.iter_mapped_dependencies()] if is_mapped else [],
            "group_dependencies": {g.group_id: [o.task_id for o in g.iter_mapped_dependencies()]
                                   for g in t.iter_mapped_task_groups()},
        })
    try:
        dr = dag.test()
    except Exception as e:
        out[dag.dag_id] = {"error": repr(e)}
        continue
    with create_session() as session:
        tis = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id,
                                                         TaskInstance.run_id == dr.run_id)).all()
        states = {f"{ti.task_id}[{ti.map_index}]": (str(ti.state) if ti.state else None) for ti in tis}
    out[dag.dag_id] = {"structure": structure, "states": states, "run_state": str(dr.state)}
print("RESULT " + json.dumps(out))
"""


def expansion_values(scenario: dict[str, Any], expand: Any) -> list[Any] | None:
    """The values a mapped task or group expands over, or None when its XCom source did not succeed."""
    if isinstance(expand, list):
        return expand
    src = next(t for t in scenario["tasks"] if t["id"] == expand["xcom"])
    return None if src.get("outcome", "success") != "success" else list(src.get("returns") or [])


def simulate(scenario: dict[str, Any], structure: list[dict[str, Any]]) -> tuple[dict[str, str | None], str]:
    """Drives a Planner like dag.test() drives Airflow's scheduler pass; returns final TI states and run state."""
    from riir_airflow._core import Planner

    by_id = {t["id"]: t for t in scenario["tasks"]}
    groups = {g["id"]: g for g in scenario.get("groups", [])}
    group_deps: dict[str, list[str]] = {}
    tasks = []
    edges = []
    for s in structure:
        group_deps.update(s["group_dependencies"])
        tasks.append(
            {
                k: s[k]
                for k in (
                    "task_id",
                    "trigger_rule",
                    "is_setup",
                    "is_teardown",
                    "on_failure_fail_dagrun",
                    "priority_weight",
                    "mapped_groups",
                    "is_mapped",
                    "mapped_dependencies",
                )
            }
        )
        edges += [(u, s["task_id"]) for u in s["upstream"]]
    planner = Planner(tasks, edges, mapped_group_dependencies=group_deps, dag_id=scenario["dag_id"])
    downstream: dict[str, list[str]] = {}
    for u, d in edges:
        downstream.setdefault(u, []).append(d)

    def spec(task_id: str) -> dict[str, Any]:
        return by_id[task_id]

    def values(task_id: str) -> list[Any] | None:
        """The x of each map index; a mapped task inside a mapped group repeats its own values per group index."""
        t = spec(task_id)
        outer = expansion_values(scenario, groups[t["group"]]["expand"]) if "group" in t else None
        if "expand" not in t:
            return outer
        own = expansion_values(scenario, t["expand"])
        if own is None or "group" not in t:
            return own
        return None if outer is None else [v for _ in outer for v in own]

    def literal(task_id: str) -> bool:
        """Airflow creates the instances of a task mapped over literals only when the run is created."""
        t = spec(task_id)
        sources = [t.get("expand"), groups[t["group"]]["expand"] if "group" in t else None]
        return any(sources) and all(src is None or isinstance(src, list) for src in sources)

    states: dict[tuple[str, int], str | None] = {}
    for t in tasks:
        count = len(values(t["task_id"]) or []) if literal(t["task_id"]) else 0
        states.update({(t["task_id"], i): None for i in range(count)} if count else {(t["task_id"], -1): None})
    for _ in range(200):
        result = planner.plan([(t, i, s) for (t, i), s in states.items()], expand=lambda tid: len(values(tid) or []))
        for key in result["to_skip"]:
            states[key] = "skipped"
        for key in result["to_upstream_failed"]:
            states[key] = "upstream_failed"
        for key in result["to_remove"]:
            states[key] = "removed"
        for task_id, count in result["expanded"]:
            del states[(task_id, -1)]
            for i in range(count):
                states[(task_id, i)] = None
        if result["run_state"] != "running":
            return {f"{t}[{i}]": s for (t, i), s in states.items()}, result["run_state"]
        for task_id, map_index in result["to_run"]:
            t = spec(task_id)
            x = values(task_id)[map_index] if map_index >= 0 else None  # type: ignore[index]
            outcome = t.get("outcome", "success")
            if outcome == "fail" or (x is not None and x in t.get("fail_x", [])):
                states[(task_id, map_index)] = "failed"
            elif outcome == "skip" or (x is not None and x in t.get("skip_x", [])):
                states[(task_id, map_index)] = "skipped"
            else:
                states[(task_id, map_index)] = "success"
                if outcome == "branch":
                    # The branch marks its direct downstream tasks that it does not follow as skipped.
                    for d in downstream.get(task_id, []):
                        if d not in t["follow"]:
                            states[(d, -1)] = "skipped"
    raise RuntimeError(f"{scenario['dag_id']}: the simulated run did not finish")


def main() -> int:
    sys.path.insert(0, str(HERE))
    from airflow_env import airflow_env, airflow_python

    # Airflow's runs take minutes; they are kept per version of the scenarios and re-used.
    key = hashlib.sha256((json.dumps(SCENARIOS) + DAG_TEMPLATE + INSIDE).encode()).hexdigest()[:16]
    cache = HERE / ".cache" / f"planner_scenarios-{key}.json"
    if cache.exists():
        real = json.loads(cache.read_text())
    else:
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            dags = home / "dags"
            dags.mkdir()
            for scenario in SCENARIOS:
                (dags / f"{scenario['dag_id']}.py").write_text(DAG_TEMPLATE.format(spec=json.dumps(scenario)))
            env = airflow_env(home)
            env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
            proc = subprocess.run(
                [str(airflow_python()), "-c", textwrap.dedent(INSIDE), str(dags)],
                env=env,
                capture_output=True,
                text=True,
            )
            line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
            if proc.returncode or line is None:
                print(proc.stdout[-3000:], proc.stderr[-6000:])
                return 1
            real = json.loads(line[len("RESULT ") :])
        cache.parent.mkdir(exist_ok=True)
        cache.write_text(json.dumps(real, indent=1))

    bad = 0
    for scenario in SCENARIOS:
        got = real[scenario["dag_id"]]
        if "error" in got:
            print(f"{scenario['dag_id']:28} Airflow could not run it: {got['error']}")
            bad += 1
            continue
        ours, run_state = simulate(scenario, got["structure"])
        theirs = got["states"]
        diffs = [k for k in sorted(set(ours) | set(theirs)) if ours.get(k, "<absent>") != theirs.get(k, "<absent>")]
        same_run = run_state == got["run_state"]
        status = "identical" if not diffs and same_run else "DIFFERENT"
        print(f"{scenario['dag_id']:28} {len(theirs):4} task instances, run {got['run_state']:8} {status}")
        for k in diffs:
            print(f"    {k}: planner {ours.get(k, '<absent>')}, Airflow {theirs.get(k, '<absent>')}")
        if not same_run:
            print(f"    run state: planner {run_state}, Airflow {got['run_state']}")
        bad += bool(diffs) or not same_run
    print(f"{len(SCENARIOS) - bad} of {len(SCENARIOS)} scenarios identical to Airflow")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
