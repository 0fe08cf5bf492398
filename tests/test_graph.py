"""The Rust graph through riir_airflow._core: ordering, cycles, closures, and errors as Airflow's classes."""

from __future__ import annotations

import pytest

from riir_airflow._core import Graph
from riir_airflow.exceptions import AirflowDagCycleException, DuplicateTaskIdFound, TaskNotFound


def test_topological_order_is_stable_and_respects_edges() -> None:
    graph = Graph(["load", "extract", "transform", "report"])
    graph.add_edge("extract", "transform")
    graph.add_edge("transform", "load")
    graph.add_edge("extract", "report")
    assert graph.topological_order() == ["extract", "transform", "load", "report"]
    # The same graph built again gives the same order.
    again = Graph(
        ["load", "extract", "transform", "report"],
        [("extract", "transform"), ("transform", "load"), ("extract", "report")],
    )
    assert again.topological_order() == graph.topological_order()


def test_cycle_raises_airflow_exception_naming_a_task() -> None:
    graph = Graph(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")])
    # As Airflow's check_cycle: the walk goes a, b, c and c's edge closes the cycle.
    assert graph.find_cycle() == "c"
    with pytest.raises(AirflowDagCycleException, match="Faulty task: c"):
        graph.topological_order()


def test_duplicate_and_unknown_task_ids() -> None:
    graph = Graph(["a"])
    with pytest.raises(DuplicateTaskIdFound, match="'a' has already been added"):
        graph.add_task("a")
    with pytest.raises(TaskNotFound, match="missing"):
        graph.add_edge("a", "missing")


def test_closures_roots_leaves_and_subset() -> None:
    graph = Graph(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("d", "c")])
    assert graph.upstream_closure("c") == ["a", "b", "d"]
    assert graph.downstream_closure("a") == ["b", "c"]
    assert graph.roots() == ["a", "d"]
    assert graph.leaves() == ["c"]
    sub = graph.subset(["b"], include_downstream=True)
    assert sub.task_ids() == ["b", "c"]
    assert sub.downstream("b") == ["c"]
    assert len(sub) == 2
