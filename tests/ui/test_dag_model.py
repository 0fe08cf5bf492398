"""The DAG page's structures from a serialized DAG: grid rows, the laid-out graph (collapsed groups, assets, edge
labels, live states) and the trigger form's fields. No browser: these are the broker's own pure functions."""

from __future__ import annotations

import pendulum

from riir_airflow.broker.ui import dag_model
from riir_airflow.providers.standard.operators.empty import EmptyOperator
from riir_airflow.sdk import DAG, Asset, Label, Param, TaskGroup
from riir_airflow.serialization.serialized_dag import serialize_dag


def build() -> dict[str, object]:
    with DAG("model", schedule=[Asset("s3://in/data")], start_date=pendulum.datetime(2024, 1, 1),
             params={"n": Param(2, type="integer", minimum=1, description="how many"),
                     "mode": Param("a", enum=["a", "b"]), "flag": Param(False, type="boolean"),
                     "when": Param(None, type=["null", "string"], format="date")}) as dag:  # fmt: skip
        first = EmptyOperator(task_id="first")
        with TaskGroup("g") as group:
            a = EmptyOperator(task_id="a")
            with TaskGroup("h"):
                b = EmptyOperator(task_id="b", outlets=[Asset("s3://out/result")])
            a >> b
        last = EmptyOperator(task_id="last")
        first >> Label("then") >> group >> last
    return serialize_dag(dag)


def test_task_tree_follows_the_group_tree() -> None:
    rows, parents = dag_model.task_tree(build())
    assert [(r.kind, r.id, r.depth, r.ancestors) for r in rows] == [
        ("task", "first", 0, []), ("group", "g", 0, []), ("task", "g.a", 1, ["g"]), ("group", "g.h", 1, ["g"]),
        ("task", "g.h.b", 2, ["g", "g.h"]), ("task", "last", 0, []),
    ]  # fmt: skip
    assert next(r for r in rows if r.id == "g").task_ids == ["g.a", "g.h.b"]
    assert parents == {"g": None, "g.h": "g"}


def test_graph_has_nested_boxes_assets_edge_labels_and_states() -> None:
    drawing = dag_model.graph(build(), set(), {"first": ["success"], "g.a": ["running"]})
    nodes = {n.id: n for n in drawing.nodes}
    assert set(nodes) == {"first", "g.a", "g.h.b", "last", "asset:s3://in/data", "asset:s3://out/result"}
    assert nodes["first"].state == "success" and nodes["g.a"].state == "running" and nodes["last"].state is None
    boxes = {gid: rect for gid, _, rect in drawing.groups}
    x, y, w, h = boxes["g"]
    hx, hy, hw, hh = boxes["g.h"]
    assert x <= hx and y <= hy and hx + hw <= x + w and hy + hh <= y + h
    labels = {(a, b): label for a, b, _, label in drawing.edges}
    assert labels[("first", "g.a")] == "then"
    assert ("g.h.b", "asset:s3://out/result") in labels and ("asset:s3://in/data", "first") in labels
    assert nodes["first"].x + nodes["first"].width < nodes["g.a"].x < nodes["g.h.b"].x < nodes["last"].x


def test_a_collapsed_group_is_one_node_with_the_summary_state() -> None:
    drawing = dag_model.graph(build(), {"g"}, {"g.a": ["success"], "g.h.b": ["failed"]})
    nodes = {n.id: n for n in drawing.nodes}
    assert "g.a" not in nodes and nodes["g"].kind == "group" and nodes["g"].state == "failed"
    assert drawing.groups == []
    assert {(a, b) for a, b, _, _ in drawing.edges} >= {("first", "g"), ("g", "last")}


def test_summary_state_puts_problems_first() -> None:
    assert dag_model.summary_state(["success", "failed", "running"]) == "failed"
    assert dag_model.summary_state(["success", None]) is None
    assert dag_model.summary_state(["success", "skipped"]) == "success"


def test_trigger_form_fields_come_from_the_params_schema() -> None:
    fields = {f["name"]: f for f in dag_model.params_form(build()["params"])}
    assert fields["n"]["type"] == "integer" and fields["n"]["minimum"] == 1 and fields["n"]["value"] == 2
    assert fields["n"]["description"] == "how many" and not fields["n"]["required"]
    assert fields["mode"]["enum"] == ["a", "b"]
    assert fields["flag"]["type"] == "boolean"
    assert fields["when"]["nullable"] and fields["when"]["format"] == "date" and not fields["when"]["required"]
