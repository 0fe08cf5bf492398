"""DAG structure through the authoring API: dependencies, groups, defaults and TaskFlow, as Airflow builds them."""

from __future__ import annotations

import pendulum
import pytest

from riir_airflow.exceptions import DuplicateTaskIdFound, TaskAlreadyInTaskGroup
from riir_airflow.models.baseoperator import chain, chain_linear, cross_downstream
from riir_airflow.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, Label, TaskGroup, task, task_group
from riir_airflow.utils.trigger_rule import TriggerRule

START = pendulum.datetime(2024, 1, 1, tz="UTC")


def ups(dag: DAG, task_id: str) -> list[str]:
    return sorted(dag.get_task(task_id).upstream_task_ids)


def test_shift_operators_lists_and_set_methods() -> None:
    with DAG("shifts", start_date=START) as dag:
        a, b, c, d = (EmptyOperator(task_id=x) for x in "abcd")
        a >> [b, c]
        [b, c] >> d
        e = EmptyOperator(task_id="e")
        e.set_upstream(d)
        f = EmptyOperator(task_id="f")
        f << e
    assert ups(dag, "d") == ["b", "c"]
    assert ups(dag, "e") == ["d"] and ups(dag, "f") == ["e"]
    assert sorted(dag.get_task("a").downstream_task_ids) == ["b", "c"]
    assert [t.task_id for t in dag.roots] == ["a"]
    assert [t.task_id for t in dag.leaves] == ["f"]


def test_default_args_fill_unset_arguments_only() -> None:
    with DAG("defaults", start_date=START, default_args={"retries": 3, "owner": "data", "pool": "p1"}) as dag:
        plain = EmptyOperator(task_id="plain")
        own = EmptyOperator(task_id="own", retries=0)
        with TaskGroup("g", default_args={"owner": "group-owner"}):
            inner = EmptyOperator(task_id="inner")
    assert (plain.retries, plain.owner, plain.pool) == (3, "data", "p1")
    assert own.retries == 0
    assert inner.owner == "group-owner" and inner.retries == 3
    assert dag.task_ids == ["plain", "own", "g.inner"]


def test_dag_owner_lists_each_owner_once_in_a_stable_order() -> None:
    # Airflow joins a set; the same owners in first-seen order keep the serialized DAG's hash stable per process.
    with DAG("owners", start_date=START) as dag:
        for i, owner in enumerate(["zoe", "adam", "zoe", "mia", "adam"]):
            EmptyOperator(task_id=f"t{i}", owner=owner)
    assert dag.owner == "zoe, adam, mia"


def test_task_groups_prefix_nest_and_link_as_a_whole() -> None:
    with DAG("groups", start_date=START) as dag:
        start = EmptyOperator(task_id="start")
        with TaskGroup("outer") as outer:
            with TaskGroup("inner"):
                x = EmptyOperator(task_id="x")
                y = EmptyOperator(task_id="y")
                x >> y
            z = EmptyOperator(task_id="z")
        with TaskGroup("flat", prefix_group_id=False) as flat:
            EmptyOperator(task_id="unprefixed")
        start >> outer >> flat
    assert dag.task_ids == ["start", "outer.inner.x", "outer.inner.y", "outer.z", "unprefixed"]
    assert ups(dag, "outer.inner.x") == ["start"] and ups(dag, "outer.z") == ["start"]
    assert ups(dag, "unprefixed") == ["outer.inner.y", "outer.z"]
    assert x.task_group.group_id == "outer.inner" and z.task_group.group_id == "outer"
    assert x.label == "x"
    assert set(dag.task_group_dict) == {"outer", "outer.inner", "flat"}


def test_duplicate_ids_and_double_group_membership_are_refused() -> None:
    with DAG("dupes", start_date=START):
        EmptyOperator(task_id="a")
        with pytest.raises(DuplicateTaskIdFound, match="Task id 'a' has already been added"):
            EmptyOperator(task_id="a")
        with TaskGroup("g1"):
            t = EmptyOperator(task_id="t")
        with TaskGroup("g2") as g2, pytest.raises(TaskAlreadyInTaskGroup, match="already in group 'g1'"):
            g2.add(t)


def test_label_chain_cross_downstream_and_chain_linear() -> None:
    with DAG("helpers", start_date=START) as dag:
        t = {x: EmptyOperator(task_id=x) for x in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]}
        t["a"] >> Label("yes") >> t["b"]
        chain(t["b"], [t["c"], t["d"]], [t["e"], t["f"]])
        cross_downstream([t["e"], t["f"]], [t["g"], t["h"]])
        chain_linear(t["g"], [t["h"], t["i"]])
    assert dag.get_edge_info("a", "b") == {"label": "yes"}
    assert ups(dag, "e") == ["c"] and ups(dag, "f") == ["d"]
    assert ups(dag, "g") == ["e", "f"] and ups(dag, "h") == ["e", "f", "g"] and ups(dag, "i") == ["g"]
    with pytest.raises(ValueError, match="different length"):
        chain([t["a"]], [t["b"], t["c"]])


def test_taskflow_arguments_make_dependencies_and_ids_are_made_unique() -> None:
    @task
    def extract() -> dict[str, int]:
        return {"a": 1}

    @task
    def load(value: int) -> None:
        return None

    with DAG("taskflow", start_date=START) as dag:
        data = extract()
        load(data["a"])
        load(5)
        load.override(task_id="custom")(data)
    assert dag.task_ids == ["extract", "load", "load__1", "custom"]
    assert ups(dag, "load") == ["extract"] and ups(dag, "load__1") == [] and ups(dag, "custom") == ["extract"]
    extract_task = dag.get_task("extract")
    assert extract_task.task_type == "_PythonDecoratedOperator"
    assert extract_task.multiple_outputs is True  # inferred from the dict return annotation


def test_mapping_declarations_are_mapped_tasks() -> None:
    @task
    def numbers() -> list[int]:
        return [1, 2]

    @task
    def double(x: int, factor: int) -> int:
        return x * factor

    with DAG("mapping", start_date=START) as dag:
        doubled = double.partial(factor=2).expand(x=numbers())
        double.expand_kwargs([{"x": 1, "factor": 3}])
    mapped = dag.get_task("double")
    assert mapped.is_mapped and mapped.task_type == "_PythonDecoratedOperator"
    assert ups(dag, "double") == ["numbers"]
    assert doubled.operator is mapped
    with pytest.raises(TypeError, match="unexpected keyword argument 'nope'"):
        double.expand(nope=[1])


def test_mapped_task_group_children_depend_on_the_expansion_input() -> None:
    @task
    def items() -> list[str]:
        return ["a"]

    @task_group
    def per_item(item: str) -> None:
        @task
        def handle(value: str) -> str:
            return value

        handle(item)

    with DAG("mapped_group", start_date=START) as dag:
        per_item.expand(item=items())
    assert dag.task_ids == ["items", "per_item.handle"]
    assert ups(dag, "per_item.handle") == ["items"]
    assert dag.task_group_dict["per_item"].is_mapped


def test_invalid_trigger_rule_names_the_task() -> None:
    with DAG("rules", start_date=START), pytest.raises(ValueError, match=r"'rules\.t'; received 'sometimes'"):
        EmptyOperator(task_id="t", trigger_rule="sometimes")
    with DAG("rules2", start_date=START):
        assert EmptyOperator(task_id="ok", trigger_rule=TriggerRule.ONE_FAILED).trigger_rule == "one_failed"


def test_setup_teardown_context_manager_wires_inner_tasks() -> None:
    from riir_airflow.sdk import setup, teardown

    @setup
    def create() -> None: ...

    @teardown
    def delete(resource: None) -> None: ...

    with DAG("st", start_date=START) as dag:
        s = create()
        with delete(s):
            EmptyOperator(task_id="work")
    assert ups(dag, "work") == ["create"] and ups(dag, "delete") == ["create", "work"]
    assert dag.get_task("delete").trigger_rule == TriggerRule.ALL_DONE_SETUP_SUCCESS


def test_setup_teardown_inside_a_task_group_stays_apart_from_the_outer_ones() -> None:
    """Airflow's example_setup_teardown_taskflow: a group's own setup/teardown inside `with outer_teardown(...)`
    is not wired to the outer setup/teardown; only the plain work task is."""
    from riir_airflow.sdk import setup, teardown

    @setup
    def outer_setup() -> str:
        return "cluster"

    @teardown
    def outer_teardown(cluster_id: str) -> None: ...

    @task
    def outer_work() -> None: ...

    @task_group
    def section_1() -> None:
        @setup
        def inner_setup() -> str:
            return "inner"

        @task
        def inner_work(cluster_id: str) -> None: ...

        @teardown
        def inner_teardown(cluster_id: str) -> None: ...

        made = inner_setup()
        inner_work(made) >> inner_teardown(made)

    with DAG("nested_st", start_date=START) as dag, outer_teardown(outer_setup()):
        outer_work()
        section_1()
    assert sorted(dag.get_task("outer_setup").downstream_task_ids) == ["outer_teardown", "outer_work"]
    assert ups(dag, "outer_teardown") == ["outer_setup", "outer_work"]
    assert ups(dag, "section_1.inner_setup") == []
    assert dag.get_task("section_1.inner_teardown").downstream_task_ids == set()


def test_nested_setup_teardown_blocks_chain_outer_to_inner() -> None:
    """`with s1 >> t1: with s2 >> t2: work` gives s1 >> s2 and t2 >> t1 (Airflow's nested context rule)."""
    with DAG("nested_blocks", start_date=START) as dag:
        s1, t1 = EmptyOperator(task_id="s1").as_setup(), EmptyOperator(task_id="t1")
        s2, t2 = EmptyOperator(task_id="s2").as_setup(), EmptyOperator(task_id="t2")
        t1.as_teardown(setups=s1)
        t2.as_teardown(setups=s2)
        with t1, t2:
            EmptyOperator(task_id="work")
    assert ups(dag, "work") == ["s2"]
    assert ups(dag, "t2") == ["s2", "work"]
    assert ups(dag, "s2") == ["s1"]
    assert ups(dag, "t1") == ["s1", "t2"]
