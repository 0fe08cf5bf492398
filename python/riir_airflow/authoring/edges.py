"""Edge labels: `a >> Label("when ok") >> b` records the label on the edge a -> b."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from riir_airflow.authoring.node import DependencyMixin, as_list

if TYPE_CHECKING:
    from riir_airflow.authoring.dag import DAG


class EdgeModifier(DependencyMixin):
    """Sits between two sets of nodes and attaches edge info (a label) to every edge made through it."""

    def __init__(self, label: str | None = None) -> None:
        self.label = label
        self._upstream: list[Any] = []
        self._downstream: list[Any] = []

    @property
    def roots(self) -> Sequence[Any]:
        return self._downstream

    @property
    def leaves(self) -> Sequence[Any]:
        return self._upstream

    def set_upstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for node in as_list(other):
            self._upstream.append(node)
            for down in self._downstream:
                down.set_upstream(node, edge_modifier=self)

    def set_downstream(self, other: Any, edge_modifier: EdgeModifier | None = None) -> None:
        for node in as_list(other):
            self._downstream.append(node)
            for up in self._upstream:
                up.set_downstream(node, edge_modifier=self)

    def update_relative(self, other: DependencyMixin, upstream: bool = True, edge_modifier: Any = None) -> None:
        # `a >> label`: a becomes one of the label's upstream nodes; edges are made once both sides are known.
        if upstream:
            self._upstream.append(other)
        else:
            self._downstream.append(other)

    def add_edge_info(self, dag: DAG, upstream_id: str, downstream_id: str) -> None:
        dag.set_edge_info(upstream_id, downstream_id, {"label": self.label})


def Label(label: str) -> EdgeModifier:
    """An edge modifier that labels the edges made through it."""
    return EdgeModifier(label)
