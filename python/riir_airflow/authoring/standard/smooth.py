"""SmoothOperator: Airflow's joke operator; it logs a link to a song."""

from __future__ import annotations

from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator


class SmoothOperator(BaseOperator):
    """Logs a link to Sade's "Smooth Operator"."""

    ui_color = "#e8f7e4"
    yt_link: str = "https://www.youtube.com/watch?v=4TYv2PhG89A"

    def execute(self, context: Any) -> None:
        self.log.info("Enjoy Sade - Smooth Operator: %s", self.yt_link)
