"""Human-in-the-loop requests (`hitl_detail`), the answer a person gives through the API, and the timeout sweep.

A HITLOperator try writes its request, then parks in `awaiting_input` with `next_method` and an optional deadline
(`trigger_timeout`). An answer (or, when the deadline passes, the defaults / a timeout error) goes into the try's
`next_kwargs["event"]` and moves it back to `scheduled`, so the DAG app resumes it like a deferred try whose trigger
fired. The event is plain JSON: `responded_at` is ISO text (HITLOperator.execute_complete parses it).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from riir_airflow.metastore.queries import Db, transaction
from riir_airflow.metastore.records import TaskInstanceKey

TIMEOUT_ERROR = "The Human-in-the-loop response timeout has passed without a response."
_PARKED = ("awaiting_input", "deferred")


class HITLNotFound(LookupError):
    """No such task instance, or it has no human-in-the-loop request."""


class HITLConflict(RuntimeError):
    """The request was already answered."""


class HITLInvalidResponse(ValueError):
    """The answer names options the request does not offer, or several where one is allowed."""


@dataclass(frozen=True)
class HITLDetailRow:
    """A request and (once answered) its answer, with the task instance it belongs to."""

    ti_id: uuid.UUID
    dag_id: str
    run_id: str
    task_id: str
    map_index: int
    options: list[str]
    subject: str
    body: str | None
    defaults: list[str] | None
    multiple: bool
    params: dict[str, Any]
    assignees: list[dict[str, str]] | None
    created_at: datetime.datetime
    responded_at: datetime.datetime | None
    responded_by: dict[str, str] | None
    chosen_options: list[str] | None
    params_input: dict[str, Any]

    @property
    def response_received(self) -> bool:
        return self.responded_at is not None

    def resume_event(self, *, timedout: bool = False) -> dict[str, Any]:
        """What execute_complete receives (Airflow: HITLDetail.as_resume_event_payload)."""
        return {
            "chosen_options": list(self.chosen_options or []),
            "params_input": self.params_input or {},
            "responded_at": self.responded_at.isoformat() if self.responded_at else None,
            "responded_by_user": self.responded_by,
            "timedout": timedout,
        }


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _row(row: Any) -> HITLDetailRow:
    return HITLDetailRow(
        ti_id=row["ti_id"], dag_id=row["dag_id"], run_id=row["run_id"], task_id=row["task_id"],
        map_index=row["map_index"], options=_json(row["options"]), subject=row["subject"], body=row["body"],
        defaults=_json(row["defaults"]), multiple=bool(row["multiple"]), params=_json(row["params"]) or {},
        assignees=_json(row["assignees"]), created_at=row["created_at"], responded_at=row["responded_at"],
        responded_by=_json(row["responded_by"]), chosen_options=_json(row["chosen_options"]),
        params_input=_json(row["params_input"]) or {},
    )  # fmt: skip


_SELECT = (
    "SELECT h.*, ti.dag_id, ti.run_id, ti.task_id, ti.map_index FROM hitl_detail h "
    "JOIN task_instance ti ON ti.id = h.ti_id"
)


async def upsert_request(db: Db, key: TaskInstanceKey, detail: Mapping[str, Any]) -> None:
    """A try's request; a later try of the same task instance replaces it (and forgets the old answer)."""
    async with transaction(db) as conn:
        ti_id = await conn.fetchval(
            "SELECT id FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4",
            key.dag_id, key.run_id, key.task_id, key.map_index,
        )  # fmt: skip
        if ti_id is None:
            raise HITLNotFound(f"no task instance {key}")
        await conn.execute(
            """
            INSERT INTO hitl_detail (ti_id, options, subject, body, defaults, multiple, params, assignees)
            VALUES ($1, $2::jsonb, $3, $4, $5::jsonb, $6, $7::jsonb, $8::jsonb)
            ON CONFLICT (ti_id) DO UPDATE SET options = EXCLUDED.options, subject = EXCLUDED.subject,
                body = EXCLUDED.body, defaults = EXCLUDED.defaults, multiple = EXCLUDED.multiple,
                params = EXCLUDED.params, assignees = EXCLUDED.assignees, created_at = now(),
                responded_at = NULL, responded_by = NULL, chosen_options = NULL, params_input = '{}'
            """,
            ti_id, list(detail["options"]), detail["subject"], detail.get("body"), detail.get("defaults"),
            bool(detail.get("multiple")), dict(detail.get("params") or {}), list(detail.get("assigned_users") or []),
        )  # fmt: skip


async def _resume(conn: Any, ti_id: uuid.UUID, event: Mapping[str, Any]) -> bool:
    """A parked try goes back to `scheduled` (same try) with the event for execute_complete."""
    status = await conn.execute(
        "UPDATE task_instance SET state = 'scheduled', scheduled_dttm = now(), updated_at = now(), "
        "trigger_timeout = NULL, next_kwargs = coalesce(next_kwargs, '{}'::jsonb) || jsonb_build_object('event', "
        "$2::jsonb) WHERE id = $1 AND state = ANY($3::text[])",
        ti_id, dict(event), list(_PARKED),
    )  # fmt: skip
    return str(status).endswith(" 1")


async def park(db: Db, ti_id: uuid.UUID, try_number: int, timeout: datetime.timedelta | None) -> bool:
    """After the try was recorded `awaiting_input`: set its deadline, or resume it at once when an answer
    already arrived while it was still running. Returns True when it was resumed."""
    async with transaction(db) as conn:
        detail = await conn.fetchrow(_SELECT + " WHERE h.ti_id = $1 FOR UPDATE OF h", ti_id)
        if detail is not None and detail["responded_at"] is not None:
            return await _resume(conn, ti_id, _row(detail).resume_event())
        await conn.execute(
            "UPDATE task_instance SET trigger_timeout = CASE WHEN $3::interval IS NULL THEN NULL "
            "ELSE now() + $3::interval END WHERE id = $1 AND try_number = $2 AND state = 'awaiting_input'",
            ti_id, try_number, timeout,
        )  # fmt: skip
    return False


async def respond(
    db: Db, key: TaskInstanceKey, chosen_options: Sequence[str], params_input: Mapping[str, Any], user: dict[str, str]
) -> HITLDetailRow:
    """A person's answer: validated, stored, and the parked try resumed (one transaction, TI row locked first)."""
    async with transaction(db) as conn:
        ti = await conn.fetchrow(
            "SELECT id, state FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 "
            "AND map_index = $4 FOR UPDATE",
            key.dag_id, key.run_id, key.task_id, key.map_index,
        )  # fmt: skip
        if ti is None:
            raise HITLNotFound(
                f"The Task Instance with dag_id: `{key.dag_id}`, run_id: `{key.run_id}`, task_id: `{key.task_id}` "
                f"and map_index: `{key.map_index}` was not found"
            )
        found = await conn.fetchrow(_SELECT + " WHERE h.ti_id = $1 FOR UPDATE OF h", ti["id"])
        if found is None:
            raise HITLNotFound(f"Human-in-the-loop detail does not exist for Task Instance with id {ti['id']}")
        detail = _row(found)
        if detail.response_received:
            raise HITLConflict(
                f"Human-in-the-loop detail has already been updated for Task Instance with id {ti['id']} "
                "and is not allowed to write again."
            )
        allowed = set(detail.options)
        invalid = set(chosen_options) - allowed
        if invalid:
            raise HITLInvalidResponse(f"Invalid options {sorted(invalid)}; allowed options are {sorted(allowed)}.")
        if not detail.multiple and len(chosen_options) > 1:
            raise HITLInvalidResponse(
                "Multiple options chosen but this Human-in-the-loop task accepts only a single option."
            )
        if detail.assignees and user["id"] not in {a["id"] for a in detail.assignees}:
            raise PermissionError(f"User={user['name']} (id={user['id']}) is not a respondent for the task.")
        await conn.execute(
            "UPDATE hitl_detail SET responded_by = $2::jsonb, responded_at = now(), chosen_options = $3::jsonb, "
            "params_input = $4::jsonb WHERE ti_id = $1",
            ti["id"], dict(user), list(chosen_options), dict(params_input),
        )  # fmt: skip
        answered = _row(await conn.fetchrow(_SELECT + " WHERE h.ti_id = $1", ti["id"]))
        if ti["state"] in _PARKED:
            await _resume(conn, ti["id"], answered.resume_event())
    return answered


async def get_detail(db: Db, key: TaskInstanceKey) -> HITLDetailRow | None:
    async with transaction(db) as conn:
        row = await conn.fetchrow(
            _SELECT + " WHERE ti.dag_id = $1 AND ti.run_id = $2 AND ti.task_id = $3 AND ti.map_index = $4",
            key.dag_id, key.run_id, key.task_id, key.map_index,
        )  # fmt: skip
    return None if row is None else _row(row)


async def list_details(
    db: Db,
    *,
    dag_id: str | None = None,
    run_id: str | None = None,
    task_id: str | None = None,
    response_received: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[HITLDetailRow], int]:
    """Requests (newest first by default), with the total count before paging."""
    conditions, args = [], []
    for column, value in (("ti.dag_id", dag_id), ("ti.run_id", run_id), ("ti.task_id", task_id)):
        if value is not None:
            args.append(value)
            conditions.append(f"{column} = ${len(args)}")
    if response_received is not None:
        conditions.append("h.responded_at IS NOT NULL" if response_received else "h.responded_at IS NULL")
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    async with transaction(db) as conn:
        total = await conn.fetchval(
            "SELECT count(*) FROM hitl_detail h JOIN task_instance ti ON ti.id = h.ti_id" + where, *args
        )
        rows = await conn.fetch(
            _SELECT + where + f" ORDER BY h.ti_id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}", *args, limit, offset
        )
    return [_row(r) for r in rows], int(total)


async def resolve_timeouts(db: Db, dag_id: str) -> int:
    """Parked tries of `dag_id` whose deadline passed: resumed with the answer that just arrived, else with the
    defaults as the answer (timedout), else with a timeout error (execute_complete raises HITLTimeoutError)."""
    resolved = 0
    async with transaction(db) as conn:
        rows = await conn.fetch(
            "SELECT ti.id FROM task_instance ti WHERE ti.dag_id = $1 AND ti.state = 'awaiting_input' "
            "AND ti.trigger_timeout < now() ORDER BY ti.trigger_timeout LIMIT 100 FOR UPDATE SKIP LOCKED",
            dag_id,
        )
        for row in rows:
            found = await conn.fetchrow(_SELECT + " WHERE h.ti_id = $1 FOR UPDATE OF h", row["id"])
            detail = None if found is None else _row(found)
            if detail is not None and detail.response_received:
                event = detail.resume_event()
            elif detail is not None and detail.defaults is not None:
                params_input = {
                    k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in detail.params.items()
                }
                await conn.execute(
                    "UPDATE hitl_detail SET chosen_options = $2::jsonb, params_input = $3::jsonb, "
                    "responded_by = NULL, responded_at = now() WHERE ti_id = $1",
                    row["id"], list(detail.defaults), params_input,
                )  # fmt: skip
                found = await conn.fetchrow(_SELECT + " WHERE h.ti_id = $1", row["id"])
                event = _row(found).resume_event(timedout=True)
            else:
                event = {"error": TIMEOUT_ERROR, "error_type": "timeout"}
            resolved += await _resume(conn, row["id"], event)
    return resolved


async def parked_tries(db: Db, dag_id: str) -> tuple[bool, datetime.datetime | None]:
    """Whether the DAG has parked tries, and the earliest response deadline among them (when the app must look
    again); one statement, no transaction."""
    row = await db.fetchrow(
        "SELECT count(*) > 0, min(trigger_timeout) FROM task_instance WHERE dag_id = $1 AND state = 'awaiting_input'",
        dag_id,
    )
    assert row is not None
    return bool(row[0]), row[1]
