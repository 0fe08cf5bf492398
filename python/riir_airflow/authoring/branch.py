"""BaseBranchOperator: subclass it and implement `choose_branch(context)`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.authoring.skipmixin import BranchMixIn


class BaseBranchOperator(BaseOperator, BranchMixIn):
    """Runs `choose_branch` and skips every direct downstream task it did not choose."""

    inherits_from_skipmixin = True

    def choose_branch(self, context: Any) -> str | Iterable[str] | None:
        raise NotImplementedError

    def execute(self, context: Any) -> Any:
        return self.do_branch(context, self.choose_branch(context))
