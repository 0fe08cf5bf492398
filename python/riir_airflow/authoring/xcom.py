"""`BaseXCom` (`airflow.models.XCom`, `airflow.sdk.BaseXCom`): XCom access from task code and the value codec.

Inside a running task, the classmethods read and write the XComs of the task's own DAG run (the only ones a task
may reach through its app). Subclasses may override `serialize_value` / `deserialize_value`, as custom XCom
backends do in Airflow. Values are JSON (with Airflow's serializers for datetimes etc.), never pickle.
"""

from __future__ import annotations

import json
from typing import Any

from riir_airflow.authoring.xcom_arg import XCOM_RETURN_KEY


def _running_ti(dag_id: str, run_id: str) -> Any:
    from riir_airflow.authoring.current_context import get_current_context

    ti = get_current_context()["ti"]
    if (ti.dag_id, ti.run_id) != (dag_id, run_id):
        raise NotImplementedError(
            f"XCom of DAG {dag_id!r} run {run_id!r} requested from a task of DAG {ti.dag_id!r} run {ti.run_id!r}: "
            "riir_airflow tasks can only reach the XComs of their own DAG run"
        )
    return ti


class BaseXCom:
    """XCom access for task code; `XCOM_RETURN_KEY` is the key of a task's return value."""

    XCOM_RETURN_KEY = XCOM_RETURN_KEY

    @classmethod
    def set(cls, key: str, value: Any, *, dag_id: str, task_id: str, run_id: str, map_index: int = -1) -> None:
        ti = _running_ti(dag_id, run_id)
        if (task_id, map_index) != (ti.task_id, ti.map_index):
            raise NotImplementedError(f"a task can only push its own XComs, not those of task {task_id!r}")
        ti.xcom_push(key, value)

    @classmethod
    def get_one(
        cls,
        *,
        key: str | None = None,
        dag_id: str | None = None,
        task_id: str | None = None,
        run_id: str | None = None,
        map_index: int | None = None,
        include_prior_dates: bool = False,
    ) -> Any:
        ti = _running_ti(dag_id or "", run_id or "")
        return ti.xcom_pull(task_ids=task_id, key=key or XCOM_RETURN_KEY, map_indexes=map_index)

    @classmethod
    def get_value(cls, *, ti_key: Any, key: str) -> Any:
        return cls.get_one(
            key=key, dag_id=ti_key.dag_id, task_id=ti_key.task_id, run_id=ti_key.run_id, map_index=ti_key.map_index
        )

    @staticmethod
    def serialize_value(value: Any, *, key: str | None = None, task_id: str | None = None,
                        dag_id: str | None = None, run_id: str | None = None,
                        map_index: int | None = None) -> str:  # fmt: skip
        from riir_airflow.authoring.serde import serialize

        return json.dumps(serialize(value))

    @staticmethod
    def deserialize_value(result: Any) -> Any:
        from riir_airflow.authoring.serde import deserialize

        raw = getattr(result, "value", result)
        return deserialize(json.loads(raw) if isinstance(raw, str | bytes) else raw)

    @classmethod
    def purge(cls, xcom: Any, *args: Any) -> None:
        """Hook for custom backends that store values elsewhere: delete the stored object."""


XCom = BaseXCom
