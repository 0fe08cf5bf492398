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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Frames of an import-error traceback: `File "/abs/path.py", line 12, in <module>`.
_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
# The exception line that ends a traceback: `pkg.mod.ErrorClass: message` (or just `ErrorClass`).
_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::\s?(.*))?$")


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


def _params(dag: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(dag.params.keys()):
        param = dag.params.get_param(name)
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


def _task_facts(dag: Any, task: Any) -> dict[str, Any]:
    group = task.task_group
    group_id = group.group_id if group is not None else None
    edge_labels = {}
    for down in sorted(task.downstream_task_ids):
        label = (dag.get_edge_info(task.task_id, down) or {}).get("label")
        if label is not None:
            edge_labels[down] = label
    return {
        "task_type": task.task_type,
        "class": type(task).__name__,
        "operator_name": task.operator_name,
        "upstream_task_ids": sorted(task.upstream_task_ids),
        "downstream_task_ids": sorted(task.downstream_task_ids),
        "edge_labels": edge_labels,
        "trigger_rule": _str_value(task.trigger_rule),
        "retries": task.retries,
        "task_group": group_id,
        # __class__, not type(): Airflow hands mapped operators a weakref proxy of their group.
        "task_group_class": group.__class__.__name__ if group is not None else None,
        "is_mapped": bool(task.is_mapped),
        "is_setup": bool(task.is_setup),
        "is_teardown": bool(task.is_teardown),
        "pool": task.pool,
        "priority_weight": task.priority_weight,
        "weight_rule": _str_value(task.weight_rule),
        "owner": task.owner,
        "depends_on_past": bool(task.depends_on_past),
        "template_fields": list(task.template_fields),
        "inlets": _asset_names(task.inlets),
        "outlets": _asset_names(task.outlets),
    }


def _dag_facts(dag: Any) -> dict[str, Any]:
    return {
        "file": os.path.basename(dag.fileloc),
        "tags": sorted(dag.tags),
        "description": dag.description,
        "schedule": _timetable(dag),
        "max_active_runs": dag.max_active_runs,
        "max_active_tasks": dag.max_active_tasks,
        "catchup": bool(dag.catchup),
        "start_date": _jsonable(dag.start_date),
        "params": _params(dag),
        "task_order": list(dag.task_dict),
        "tasks": {task_id: _task_facts(dag, dag.task_dict[task_id]) for task_id in sorted(dag.task_dict)},
    }


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
