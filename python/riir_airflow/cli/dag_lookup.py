"""Finding what a command names: a DAG in the DAG files (`-S/--subdir`, a file path, or `[core] dags_folder`), a DAG
row in the metastore, a run by run_id or logical date. Errors end the command with Airflow's one-line messages."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import pendulum

if TYPE_CHECKING:
    from riir_airflow.metastore.records import DagRecord, DagRunRecord


def load_bag(path: str | None) -> Any:
    """A DagBag of a file or folder (default: the configured dags folder)."""
    from riir_airflow.dag_processing.loader import DagBag

    folder = _folder(path)
    if not os.path.exists(folder):
        raise SystemExit(f"error: {folder}: no such file or folder")
    return DagBag(folder)


def report_import_errors(bag: Any) -> None:
    for path, error in sorted(bag.import_errors.items()):
        print(f"Failed to load {path}:\n{error}", file=sys.stderr)


def find_dag(file_or_dag_id: str, subdir: str | None = None) -> Any:
    """A DAG by file path (its only DAG) or by dag_id (searched in `subdir` or the dags folder)."""
    return find_dag_in_bag(file_or_dag_id, subdir)[0]


def find_dag_in_bag(file_or_dag_id: str, subdir: str | None = None) -> tuple[Any, Any, str]:
    """`find_dag`, with the DagBag it was found in and the file or folder that bag loaded."""
    if os.path.isfile(file_or_dag_id):
        bag = load_bag(file_or_dag_id)
        report_import_errors(bag)
        if len(bag.dags) != 1:
            names = ", ".join(sorted(bag.dags)) or "none"
            raise SystemExit(f"error: {file_or_dag_id} defines {len(bag.dags)} DAGs ({names}); pass a dag_id and -S")
        return next(iter(bag.dags.values())), bag, os.path.abspath(file_or_dag_id)
    bag = load_bag(subdir)
    dag = bag.get_dag(file_or_dag_id)
    if dag is None:
        report_import_errors(bag)
        raise SystemExit(f"Dag {file_or_dag_id!r} could not be found; either it does not exist or it failed to parse.")
    return dag, bag, _folder(subdir)


def _folder(path: str | None) -> str:
    from riir_airflow import core_settings as settings

    return os.path.abspath(path or settings.dags_folder())


async def dag_record(db: Any, dag_id: str) -> DagRecord:
    from riir_airflow.metastore import queries

    dag = await queries.get_dag(db, dag_id)
    if dag is None:
        raise SystemExit(f"DAG: {dag_id} does not exist in 'dag' table")
    return dag


def parse_date(text: str, what: str = "date") -> pendulum.DateTime:
    try:
        value = pendulum.parse(text)
    except (ValueError, pendulum.parsing.exceptions.ParserError) as err:
        raise SystemExit(f"error: {what} {text!r} is not a date: {err}") from None
    if isinstance(value, pendulum.Date) and not isinstance(value, pendulum.DateTime):
        value = pendulum.datetime(value.year, value.month, value.day, tz="UTC")
    if not isinstance(value, pendulum.DateTime):
        raise SystemExit(f"error: {what} {text!r} is not a date")
    return value


async def find_run(db: Any, dag_id: str, run_id_or_date: str) -> DagRunRecord | None:
    """Airflow's `LOGICAL_DATE_OR_RUN_ID`: a run_id first, else a logical date."""
    from riir_airflow.metastore import queries

    run = await queries.get_dag_run(db, dag_id, run_id_or_date)
    if run is not None:
        return run
    try:
        when = pendulum.parse(run_id_or_date)
    except (ValueError, pendulum.parsing.exceptions.ParserError):
        return None
    if not isinstance(when, pendulum.DateTime):
        return None
    runs = await queries.list_dag_runs(db, dag_id=dag_id, logical_date_gte=when, logical_date_lte=when, limit=1)
    return runs.items[0] if runs.items else None


def parse(text: str) -> pendulum.DateTime:
    """Airflow's `parsedate` argument type (argparse names it in its error: "invalid parse value"): a date or
    datetime, UTC when it names no zone, a date alone at midnight."""
    import argparse

    try:
        value = pendulum.parse(text, tz="UTC")
    except (ValueError, pendulum.parsing.exceptions.ParserError) as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if isinstance(value, pendulum.Date) and not isinstance(value, pendulum.DateTime):
        value = pendulum.datetime(value.year, value.month, value.day, tz="UTC")
    if not isinstance(value, pendulum.DateTime):
        raise argparse.ArgumentTypeError(f"{text!r} is not a date")
    return value


async def db_timetable(db: Any, dag_id: str) -> Any:
    """The timetable of the DAG's latest serialized version (Airflow's `get_db_dag(...).timetable`)."""
    from riir_airflow.exceptions import AirflowException
    from riir_airflow.metastore import api_queries
    from riir_airflow.schedules.timetables import decode_timetable

    version = (await api_queries.latest_versions(db, [dag_id])).get(dag_id)
    if version is None:
        raise AirflowException(f"Dag {dag_id!r} could not be found in the database.")
    schedule = version.data.get("schedule") if isinstance(version.data, dict) else None
    encoded = schedule.get("timetable") if isinstance(schedule, dict) else None
    if not isinstance(encoded, dict):
        raise AirflowException(f"Dag {dag_id!r} has no timetable in its serialized version.")
    return decode_timetable(encoded)
