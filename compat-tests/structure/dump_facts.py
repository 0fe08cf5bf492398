"""Print the structural facts of every DAG in a folder as JSON, under real Airflow or under riir_airflow.

    python dump_facts.py DAG_FOLDER [--impl airflow|riir] [--out FILE]

The same code runs in both interpreters: it only reads public attributes (``dag.task_dict``, ``task.task_type``,
``task.upstream_task_ids`` ...). Under riir it first installs the ``airflow`` -> ``riir_airflow`` import alias, so the
corpus files load unmodified. The output is deterministic (sorted keys, no absolute paths) so two runs can be diffed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import enum
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Frames of an import-error traceback: `File "/abs/path.py", line 12, in <module>`.
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
# The exception line that ends a traceback: `pkg.mod.ErrorClass: message` (or just `ErrorClass`).
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")
# The " (/abs/path/module.py)" suffix of "cannot import name 'x' from 'mod' (/abs/path/module.py)".
_MODULE_PATH = re.compile(r" \((?:/|[A-Za-z]:\\)[^()]*\.py\)$")


def _detect_impl() -> str:
    try:
        import riir_airflow  # noqa: F401
    except ImportError:
        return "airflow"
    return "riir"


def _load_dagbag(folder: Path, impl: str) -> Any:
    if impl == "riir":
        import riir_airflow.compat

        riir_airflow.compat.install()
        from riir_airflow.models.dagbag import DagBag

        # riir's DagBag must put the DAG folder on sys.path itself (issue 4); do not help it here.
        return DagBag(dag_folder=str(folder))

    # A private AIRFLOW_HOME keeps the reference run away from any real installation.
    os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="riir-compat-airflow-home-"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    from airflow.dag_processing.dagbag import DagBag as AirflowDagBag

    # Airflow's DAG processor (BundleDagBag) puts the bundle root on sys.path so DAG files can import helper modules
    # that sit next to them; plain DagBag does not, so mirror the processor here.
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return AirflowDagBag(dag_folder=str(folder))


def _jsonable(value: Any) -> Any:
    """A JSON-friendly, implementation-neutral rendering of a parameter value or schema."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(v) for v in value), key=repr)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return {"timedelta_seconds": value.total_seconds()}
    if "notset" in type(value).__name__.lower():
        return "<NOTSET>"
    return f"<{type(value).__name__}>"


def _str_value(value: Any) -> Any:
    """The string value of an enum member (TriggerRule, WeightRule) or the plain value."""
    if value is None:
        return None
    return str(getattr(value, "value", value))


def _timetable(dag: Any) -> dict[str, Any]:
    timetable = dag.timetable
    summary = getattr(timetable, "summary", None)
    if summary is None:
        # Airflow 3 keeps authoring timetables (airflow.sdk) separate from the server-side ones; the summary Airflow
        # shows (DagModel.timetable_summary) comes from the core timetable the processor derives from it.
        with contextlib.suppress(ImportError):
            from airflow.serialization.encoders import coerce_to_core_timetable

            summary = coerce_to_core_timetable(timetable).summary
    condition = getattr(timetable, "asset_condition", None)
    return {
        "class": type(timetable).__name__,
        "summary": summary,
        "assets": _asset_condition(condition) if condition is not None else None,
    }


def _asset_condition(node: Any) -> Any:
    """Asset / AssetAlias as "Class:name"; AssetAll / AssetAny (what & and | build) as {"all"|"any": [...]}."""
    kind = type(node).__name__
    if kind.startswith("_Null"):  # Airflow's placeholder condition on time-based core timetables
        return None
    if kind in ("AssetAll", "AssetAny"):
        return {kind[5:].lower(): [_asset_condition(child) for child in node.objects]}
    return f"{kind}:{getattr(node, 'name', None)}"


def _params(owner: Any) -> dict[str, Any]:
    """A DAG's or a task's params (a task's include the DAG's, as Airflow merges them)."""
    out: dict[str, Any] = {}
    for name in sorted(owner.params.keys()):
        param = owner.params.get_param(name)
        out[name] = {
            "default": _jsonable(param.value),
            "schema": _jsonable(param.schema),
            "description": param.description,
        }
    return out


def _asset_names(items: Any) -> list[str]:
    names = []
    for item in items or []:
        name = getattr(item, "name", None) or getattr(item, "uri", None)
        names.append(f"{type(item).__name__}:{name}" if name else type(item).__name__)
    return sorted(names)


def _edge_labels(dag: Any, task: Any) -> dict[str, str]:
    labels = {}
    for down in sorted(task.downstream_task_ids):
        label = (dag.get_edge_info(task.task_id, down) or {}).get("label")
        if label is not None:
            labels[down] = label
    return labels


def _group_id(task: Any) -> Any:
    group = task.task_group
    return group.group_id if group is not None else None


def _group_class(task: Any) -> Any:
    # __class__, not type(): Airflow hands mapped operators a weakref proxy of their group.
    group = task.task_group
    return group.__class__.__name__ if group is not None else None


# Each fact is computed on its own, so an attribute an implementation lacks shows up as one differing fact
# ("<error AttributeError: ...>") instead of aborting the whole dump.
TASK_FACTS: dict[str, Callable[[Any, Any], Any]] = {
    "task_type": lambda dag, t: t.task_type,
    "class": lambda dag, t: type(t).__name__,
    "operator_name": lambda dag, t: t.operator_name,
    "upstream_task_ids": lambda dag, t: sorted(t.upstream_task_ids),
    "downstream_task_ids": lambda dag, t: sorted(t.downstream_task_ids),
    "edge_labels": _edge_labels,
    "trigger_rule": lambda dag, t: _str_value(t.trigger_rule),
    "retries": lambda dag, t: t.retries,
    "task_group": lambda dag, t: _group_id(t),
    "task_group_class": lambda dag, t: _group_class(t),
    "is_mapped": lambda dag, t: bool(t.is_mapped),
    "is_setup": lambda dag, t: bool(t.is_setup),
    "is_teardown": lambda dag, t: bool(t.is_teardown),
    "pool": lambda dag, t: t.pool,
    "priority_weight": lambda dag, t: t.priority_weight,
    "weight_rule": lambda dag, t: _str_value(t.weight_rule),
    "owner": lambda dag, t: t.owner,
    "depends_on_past": lambda dag, t: bool(t.depends_on_past),
    "template_fields": lambda dag, t: list(t.template_fields),
    "inlets": lambda dag, t: _asset_names(t.inlets),
    "outlets": lambda dag, t: _asset_names(t.outlets),
    "queue": lambda dag, t: t.queue,
    "pool_slots": lambda dag, t: t.pool_slots,
    "retry_delay": lambda dag, t: _jsonable(t.retry_delay),
    "retry_exponential_backoff": lambda dag, t: _jsonable(t.retry_exponential_backoff),
    "execution_timeout": lambda dag, t: _jsonable(t.execution_timeout),
    "wait_for_downstream": lambda dag, t: bool(t.wait_for_downstream),
    # Airflow's MappedOperator keeps these in its partial kwargs only; not compared for mapped tasks.
    "do_xcom_push": lambda dag, t: None if t.is_mapped else bool(t.do_xcom_push),
    "multiple_outputs": lambda dag, t: None if t.is_mapped else bool(t.multiple_outputs),
    "params": lambda dag, t: _params(t),
    # Sensor settings; None for operators that are not sensors.
    "sensor": lambda dag, t: _sensor(t),
}


def _sensor(task: Any) -> dict[str, Any] | None:
    if not callable(getattr(task, "poke", None)):
        return None
    return {
        "mode": task.mode,
        "poke_interval": _jsonable(task.poke_interval),
        "timeout": _jsonable(task.timeout),
        "soft_fail": bool(task.soft_fail),
        "exponential_backoff": bool(task.exponential_backoff),
    }


DAG_FACTS: dict[str, Callable[[Any], Any]] = {
    "file": lambda d: os.path.basename(d.fileloc),
    "tags": lambda d: sorted(d.tags),
    "description": lambda d: d.description,
    "schedule": _timetable,
    "max_active_runs": lambda d: d.max_active_runs,
    "max_active_tasks": lambda d: d.max_active_tasks,
    "catchup": lambda d: bool(d.catchup),
    "start_date": lambda d: _jsonable(d.start_date),
    "end_date": lambda d: _jsonable(d.end_date),
    "timezone": lambda d: getattr(d.timezone, "name", str(d.timezone)),
    "dagrun_timeout": lambda d: _jsonable(d.dagrun_timeout),
    "fail_fast": lambda d: bool(d.fail_fast),
    "is_paused_upon_creation": lambda d: d.is_paused_upon_creation,
    "dag_display_name": lambda d: d.dag_display_name,
    "has_doc_md": lambda d: bool(d.doc_md),
    "params": _params,
    "task_order": lambda d: list(d.task_dict),
}


def _safely(compute: Callable[..., Any], *args: Any) -> Any:
    try:
        return compute(*args)
    except Exception as exc:
        return f"<error {type(exc).__name__}: {exc}>"


def _task_facts(dag: Any, task: Any) -> dict[str, Any]:
    return {name: _safely(compute, dag, task) for name, compute in TASK_FACTS.items()}


def _dag_facts(dag: Any) -> dict[str, Any]:
    facts = {name: _safely(compute, dag) for name, compute in DAG_FACTS.items()}
    facts["tasks"] = {task_id: _task_facts(dag, dag.task_dict[task_id]) for task_id in sorted(dag.task_dict)}
    return facts


def _error_facts(path: str, text: str, folder: Path) -> dict[str, Any]:
    """Exception class, message and DAG-file line out of one DagBag.import_errors value (a traceback or a line)."""
    base = os.path.basename(path)
    line = None
    for frame_file, frame_line in _FRAME.findall(text):
        if os.path.basename(frame_file) == base:
            line = int(frame_line)
    exception, message = None, None
    for candidate in reversed([ln for ln in text.splitlines() if ln.strip()]):
        if candidate.startswith((" ", "\t")):
            continue
        match = _EXC_LINE.match(candidate.strip())
        if match:
            exception = match.group(1).rsplit(".", 1)[-1]
            message = match.group(2) or ""
            break
    if message:
        message = message.replace(str(folder) + os.sep, "").replace(str(folder), "")
        # ImportError names the file of the module it looked in; that path differs per installation.
        message = _MODULE_PATH.sub("", message)
    return {"exception": exception, "message": message, "line": line}


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Keep stdout clean for the JSON: loggers configured before us may hold the original fd 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def dump(folder: Path, impl: str) -> dict[str, Any]:
    folder = folder.resolve()
    with _stdout_to_stderr():
        bag = _load_dagbag(folder, impl)
        dags = {dag_id: _dag_facts(bag.dags[dag_id]) for dag_id in sorted(bag.dags)}
        errors = {
            os.path.basename(path): _error_facts(path, str(text), folder)
            for path, text in sorted(bag.import_errors.items())
        }
    return {"dags": dags, "import_errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--impl", choices=["airflow", "riir"], default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    facts = dump(args.folder, args.impl or _detect_impl())
    text = json.dumps(facts, indent=1, sort_keys=True) + "\n"
    if args.out:
        args.out.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
