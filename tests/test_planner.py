"""The Rust run planner through riir_airflow._core: one Airflow scheduling pass per call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from riir_airflow._core import Planner
from riir_airflow.exceptions import AirflowDagCycleException, TaskNotFound

State = str | None


def run_to_end(
    planner: Planner, outcomes: Mapping[str, str], expand: Mapping[str, int] | None = None
) -> dict[Any, State]:
    """A minimal engine loop like `dag.test()`: plan, apply the decisions, run every ready try, repeat.

    `outcomes` gives the final state of each task that runs (default success); `expand` the length of each mapped
    task's expansion. Returns the final state of every task instance and checks the run state agrees.
    """
    expand = expand or {}
    states: dict[tuple[str, int], State] = {}
    for task_id in planner.task_ids():
        states[(task_id, -1)] = None
    for _ in range(100):
        result = planner.plan([(t, i, s) for (t, i), s in states.items()])
        for key in result["to_skip"]:
            states[key] = "skipped"
        for key in result["to_upstream_failed"]:
            states[key] = "upstream_failed"
        for key in result["to_remove"]:
            states[key] = "removed"
        for task_id, map_index in result["to_run"]:
            if map_index == -1 and task_id in expand:
                del states[(task_id, -1)]
                for i in range(expand[task_id]):
                    states[(task_id, i)] = None
            else:
                states[(task_id, map_index)] = outcomes.get(task_id, "success")
        if result["run_state"] != "running":
            return {"run": result["run_state"], **{f"{t}[{i}]" if i >= 0 else t: s for (t, i), s in states.items()}}
    raise AssertionError("the run did not finish")


def test_diamond_with_failure_ends_failed_with_airflow_states() -> None:
    planner = Planner(
        [
            {"task_id": "start"},
            {"task_id": "left"},
            {"task_id": "right"},
            {"task_id": "end"},
            {"task_id": "cleanup", "trigger_rule": "all_done"},
        ],
        [("start", "left"), ("start", "right"), ("left", "end"), ("right", "end"), ("end", "cleanup")],
    )
    assert run_to_end(planner, {"left": "failed"}) == {
        "run": "success",  # the only leaf, cleanup (all_done), succeeded
        "start": "success",
        "left": "failed",
        "right": "success",
        "end": "upstream_failed",
        "cleanup": "success",
    }


def test_branch_skip_propagates_and_join_runs() -> None:
    tasks: list[dict[str, Any]] = [
        {"task_id": "branch"},
        {"task_id": "x"},
        {"task_id": "y"},
        {"task_id": "after_x"},
        {"task_id": "join", "trigger_rule": "none_failed_min_one_success"},
    ]
    planner = Planner(tasks, [("branch", "x"), ("branch", "y"), ("x", "after_x"), ("x", "join"), ("y", "join")])
    # The branch followed y: the engine marks x skipped when the branch finishes.
    result = run_to_end(planner, {"x": "skipped"})
    assert result == {
        "run": "success",
        "branch": "success",
        "x": "skipped",
        "y": "success",
        "after_x": "skipped",
        "join": "success",
    }


def test_setup_teardown_and_run_state() -> None:
    tasks: Sequence[Mapping[str, Any]] = [
        {"task_id": "create", "is_setup": True},
        {"task_id": "work"},
        {"task_id": "delete", "is_teardown": True, "trigger_rule": "all_done_setup_success"},
    ]
    edges = [("create", "work"), ("work", "delete"), ("create", "delete")]
    planner = Planner(tasks, edges)
    assert planner.leaves() == ["work"]
    assert run_to_end(planner, {"work": "failed"}) == {
        "run": "failed",
        "create": "success",
        "work": "failed",
        "delete": "success",
    }
    # A failing teardown does not fail the run...
    assert run_to_end(planner, {"delete": "failed"})["run"] == "success"
    # ... unless it has on_failure_fail_dagrun.
    strict = Planner([*tasks[:2], {**tasks[2], "on_failure_fail_dagrun": True}], edges)
    assert run_to_end(strict, {"delete": "failed"})["run"] == "failed"


def test_mapped_task_group_depends_per_map_index() -> None:
    tasks = [
        {"task_id": "make"},
        {"task_id": "g.a", "mapped_group": "g"},
        {"task_id": "g.b", "mapped_group": "g"},
        {"task_id": "after", "trigger_rule": "all_done"},
    ]
    planner = Planner(
        tasks, [("make", "g.a"), ("g.a", "g.b"), ("g.b", "after")], mapped_group_dependencies={"g": ["make"]}
    )
    states: list[tuple[str, int, str | None]] = [
        ("make", -1, "success"),
        ("g.a", 0, "success"),
        ("g.a", 1, "failed"),
        ("g.a", 2, "running"),
        ("g.b", 0, None),
        ("g.b", 1, None),
        ("g.b", 2, None),
        ("after", -1, None),
    ]
    result = planner.plan(states)
    assert result == {
        "to_run": [("g.b", 0)],
        "to_skip": [],
        "to_upstream_failed": [("g.b", 1)],
        "to_remove": [],
        "expanded": [],
        "run_state": "running",
    }


def test_mapped_task_expands_when_ready() -> None:
    planner = Planner(
        [{"task_id": "make"}, {"task_id": "m", "is_mapped": True, "mapped_dependencies": ["make"]}, {"task_id": "sum"}],
        [("make", "m"), ("m", "sum")],
    )
    final = run_to_end(planner, {}, expand={"m": 3})
    assert final == {
        "run": "success",
        "make": "success",
        "m[0]": "success",
        "m[1]": "success",
        "m[2]": "success",
        "sum": "success",
    }


def test_priority_order_and_weights() -> None:
    planner = Planner(
        [
            {"task_id": "low", "priority_weight": 1, "weight_rule": "absolute"},
            {"task_id": "a"},
            {"task_id": "b"},
            {"task_id": "high", "priority_weight": 50},
        ],
        [("a", "b")],
    )
    assert planner.priority_weight("a") == 2
    assert planner.priority_weight("high") == 50
    result = planner.plan([("low", -1, None), ("a", -1, None), ("b", -1, None), ("high", -1, None)])
    assert result["to_run"] == [("high", -1), ("a", -1), ("low", -1)]


def test_deadlock_fails_the_run() -> None:
    planner = Planner(
        [{"task_id": "a"}, {"task_id": "b"}, {"task_id": "c", "trigger_rule": "all_skipped"}], [("a", "c"), ("b", "c")]
    )
    assert planner.plan([("a", -1, "skipped"), ("b", -1, "removed"), ("c", -1, None)])["run_state"] == "failed"


def test_errors_use_airflow_classes_and_messages() -> None:
    with pytest.raises(
        ValueError, match=r"The trigger_rule must be one of \['all_success', .*\],'d\.t'; received 'bogus'\."
    ):
        Planner([{"task_id": "t", "trigger_rule": "bogus"}], dag_id="d")
    with pytest.raises(ValueError, match="Unknown priority strategy sideways"):
        Planner([{"task_id": "t", "weight_rule": "sideways"}])
    with pytest.raises(TypeError, match="unknown key 'trigger'"):
        Planner([{"task_id": "t", "trigger": "all_done"}])
    with pytest.raises(AirflowDagCycleException, match="Faulty task"):
        Planner([{"task_id": "a"}, {"task_id": "b"}], [("a", "b"), ("b", "a")])
    planner = Planner([{"task_id": "a"}])
    with pytest.raises(TaskNotFound, match="nope"):
        planner.plan([("nope", -1, None)])
    with pytest.raises(ValueError, match="'done' is not a valid TaskInstanceState"):
        planner.plan([("a", -1, "done")])


def test_expand_callback_expands_and_decides_in_the_same_pass() -> None:
    planner = Planner(
        [{"task_id": "make"}, {"task_id": "m", "is_mapped": True, "mapped_dependencies": ["make"]}, {"task_id": "sum"}],
        [("make", "m"), ("m", "sum")],
    )
    asked: list[str] = []

    def expand(task_id: str) -> int | None:
        asked.append(task_id)
        return {"m": 2, "empty": 0}.get(task_id)

    result = planner.plan([("make", -1, "success"), ("m", -1, None), ("sum", -1, None)], expand=expand)
    assert asked == ["m"]
    assert result["expanded"] == [("m", 2)]
    assert result["to_run"] == [("m", 0), ("m", 1)]
    # The callback's own errors come through unchanged.

    def broken(task_id: str) -> int | None:
        raise KeyError(task_id)

    with pytest.raises(KeyError, match="m"):
        planner.plan([("make", -1, "success"), ("m", -1, None), ("sum", -1, None)], expand=broken)
