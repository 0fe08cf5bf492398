"""EmptyOperator: does nothing; useful for grouping and joins."""

from __future__ import annotations

from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator


class EmptyOperator(BaseOperator):
    """Does nothing. Runs are marked success without starting a process when it has no callbacks or outlets."""

    ui_color = "#e8f7e4"

    def execute(self, context: Any) -> None:
        pass
