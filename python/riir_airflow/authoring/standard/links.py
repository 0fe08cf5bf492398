"""Extra links of the standard provider's operators."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from riir_airflow.authoring.operatorlink import BaseOperatorLink
from riir_airflow.config import conf


def dagrun_url(dag_id: str, run_id: str) -> str:
    """The UI page of a DAG run: `[api] base_url` + `dags/<dag_id>/runs/<run_id>`, as Airflow 3 builds it."""
    base = conf.get("api", "base_url", fallback="/") or "/"
    return urljoin(base.rstrip("/") + "/", f"dags/{dag_id}/runs/{run_id}")


class ExternalDagLink(BaseOperatorLink):
    """From an ExternalTaskSensor / ExternalTaskMarker to the run of the DAG it waits for or clears."""

    name = "External DAG"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        return dagrun_url(operator.external_dag_id, ti_key.run_id)


class TriggerDagRunLink(BaseOperatorLink):
    """From a TriggerDagRunOperator to the run it triggered (its id is the task's `trigger_run_id` XCom)."""

    name = "Triggered DAG"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        from riir_airflow.authoring.xcom import XCom

        return dagrun_url(operator.trigger_dag_id, XCom.get_value(ti_key=ti_key, key="trigger_run_id"))
