"""`riir-airflow dags validate FILE... [--values values.yaml]`: the pre-push check of DAG files against a deploy.

Each file is loaded as its app would load it (import errors, cycles and bad schedules are problems). With the
chart's values, every reference a task makes is looked up the way Airflow resolves it and must be declared:

- `pool=`                                   -> top-level `pools[].name` (Airflow's default_pool always exists)
- any operator argument ending in `conn_id` -> top-level `connections[].id` AND the DAG entry's `connections`
- `executor_config={"image": "repo:tag"}`   -> the DAG entry's `image` (`repository:tag`)
- `executor_config={"secrets": [name]}`     -> the DAG entry's `secrets`
- the DAG itself                            -> an entry of `dags:` (by `dagIds`, `name`, or the file's name)
- `{{ var.value.KEY }}` / `{{ var.json.KEY }}` in a templated field, `Variable.get("KEY")` in a task's code
                                            -> top-level `variables[].key` AND the DAG entry's `variables`, when the
                                               values declare `variables:` at all (otherwise variables may live in
                                               the metastore, and are not checked)

A templated value (containing "{{") is resolved only at run time and is not checked. One `Problem` per missing
reference names its kind, name, task and file.
"""

from __future__ import annotations

import ast
import inspect
import logging
import os
import re
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

DEFAULT_POOL = "default_pool"


@dataclass(frozen=True)
class Problem:
    """One finding: `kind` is image, secret, connection, variable, pool, dag, file, import_error, cycle or schedule."""

    file: str
    kind: str
    name: str
    message: str
    dag_id: str | None = None
    task_id: str | None = None

    def line(self) -> str:
        where = ""
        if self.task_id is not None:
            where = f" (task {self.task_id!r} of DAG {self.dag_id!r})"
        elif self.dag_id is not None:
            where = f" (DAG {self.dag_id!r})"
        return f"{self.file}: {self.kind} {self.name!r}{where}: {self.message}"


@dataclass
class DagEntry:
    """One `dags:` entry of the values: what a DAG's pods are given."""

    name: str
    dag_ids: list[str]
    file: str
    image: str | None
    secrets: set[str] = field(default_factory=set)
    connections: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)


@dataclass
class DeployValues:
    """The parts of the chart's values that references are checked against."""

    path: str
    pools: set[str]
    connections: set[str]
    dags: list[DagEntry]
    # None: the values declare no variables (they may live in the metastore), so variables are not checked.
    variables: set[str] | None = None

    def entry_for(self, dag_id: str, file: str) -> DagEntry | None:
        for entry in self.dags:
            if dag_id in entry.dag_ids:
                return entry
        base = os.path.basename(file)
        matches = [e for e in self.dags if os.path.basename(e.file) == base]
        return matches[0] if len(matches) == 1 else None


class ValuesError(Exception):
    """The values file is unreadable or not shaped like the chart's values; the message names the key."""


def load_values(path: str) -> DeployValues:
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is in the `validate` extra and the dev group
        raise ValuesError("reading --values needs PyYAML: pip install 'riir-airflow[validate]'") from None
    try:
        with open(path) as f:
            raw = yaml.safe_load(f) or {}
    except OSError as exc:
        raise ValuesError(f"{path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ValuesError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ValuesError(f"{path}: the values must be a mapping, not {type(raw).__name__}")
    pools = {str(_key(p, "name", path, f"pools[{i}]")) for i, p in enumerate(_list(raw, "pools", path))}
    connections = {str(_key(c, "id", path, f"connections[{i}]")) for i, c in enumerate(_list(raw, "connections", path))}
    variables = None
    if "variables" in raw:
        variables = {str(_key(v, "key", path, f"variables[{i}]")) for i, v in enumerate(_list(raw, "variables", path))}
    dags = []
    for i, item in enumerate(_list(raw, "dags", path)):
        where = f"dags[{i}]"
        name = str(_key(item, "name", path, where))
        image = item.get("image") or {}
        if not isinstance(image, Mapping):
            raise ValuesError(f"{path}: {where}.image must be a mapping with repository and tag")
        repository, tag = image.get("repository"), image.get("tag")
        dags.append(
            DagEntry(
                name=name,
                dag_ids=[str(d) for d in item.get("dagIds") or [name]],
                file=str(item.get("file") or ""),
                image=f"{repository}:{tag}" if repository and tag else None,
                secrets={str(s) for s in item.get("secrets") or []},
                connections={str(c) for c in item.get("connections") or []},
                variables={str(v) for v in item.get("variables") or []},
            )
        )
    return DeployValues(path, pools, connections, dags, variables)


def _list(raw: Mapping[str, Any], key: str, path: str) -> list[Mapping[str, Any]]:
    value = raw.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise ValuesError(f"{path}: {key} must be a list of mappings")
    return value


def _key(item: Mapping[str, Any], key: str, path: str, where: str) -> Any:
    if item.get(key) in (None, ""):
        raise ValuesError(f"{path}: {where} has no {key}")
    return item[key]


# --- loading ----------------------------------------------------------------------------------------------------
def load_problems(file: str, import_errors: Mapping[str, str]) -> list[Problem]:
    """Import errors of a file, with cycles and invalid schedules named as such."""
    problems = []
    for path, error in sorted(import_errors.items()):
        last = error.strip().splitlines()[-1] if error.strip() else "failed to load"
        kind, name = "import_error", os.path.basename(path)
        if "AirflowDagCycleException" in last or "Cycle detected" in last:
            kind = "cycle"
        elif "AirflowTimetableInvalid" in last or "cron expression" in last or "schedule" in last.lower():
            kind = "schedule"
        problems.append(Problem(path or file, kind, name, last))
    return problems


def check_files(files: Iterable[str], values: DeployValues | None) -> tuple[int, list[Problem]]:
    """Loads each file and checks it; returns (number of DAGs loaded, problems)."""
    from riir_airflow.dag_processing.loader import DagBag

    # The bag logs each failure with a traceback; here each one is a Problem line instead.
    logging.getLogger("airflow.models.dagbag.DagBag").setLevel(logging.CRITICAL)
    problems: list[Problem] = []
    loaded = 0
    for file in files:
        path = os.path.abspath(file)
        if not os.path.isfile(path):
            problems.append(Problem(file, "file", os.path.basename(file), "no such file"))
            continue
        bag = DagBag(path)
        problems += [Problem(file, p.kind, p.name, p.message) for p in load_problems(file, bag.import_errors)]
        if not bag.dags and not bag.import_errors:
            problems.append(Problem(file, "dag", os.path.basename(file), "no DAG found in the file"))
        for dag in bag.dags.values():
            loaded += 1
            if values is not None:
                problems += check_dag(file, dag, values)
    return loaded, problems


# --- references -------------------------------------------------------------------------------------------------
def check_dag(file: str, dag: Any, values: DeployValues) -> list[Problem]:
    entry = values.entry_for(dag.dag_id, file)
    if entry is None:
        return [Problem(file, "dag", dag.dag_id, f"not deployed: no entry in dags of {values.path}", dag.dag_id)]
    problems = []
    for task in sorted(dag.tasks, key=lambda t: str(t.task_id)):
        for kind, name, declared_where in _missing(task, entry, values):
            problems.append(Problem(file, kind, name, f"not declared in {declared_where}", dag.dag_id, task.task_id))
    return problems


def _missing(task: Any, entry: DagEntry, values: DeployValues) -> Iterator[tuple[str, str, str]]:
    arguments = task_arguments(task)
    pool = arguments.get("pool")
    if _concrete(pool) and pool != DEFAULT_POOL and pool not in values.pools:
        yield "pool", pool, f"{values.path} pools"
    for key, conn_id in sorted(arguments.items()):
        if not key.endswith("conn_id") or not _concrete(conn_id):
            continue
        if conn_id not in values.connections:
            yield "connection", conn_id, f"{values.path} connections"
        if conn_id not in entry.connections:
            yield "connection", conn_id, f"the connections of dags entry {entry.name!r}"
    if values.variables is not None:
        for key in sorted(variable_references(task)):
            if key not in values.variables:
                yield "variable", key, f"{values.path} variables"
            if key not in entry.variables:
                yield "variable", key, f"the variables of dags entry {entry.name!r}"
    config = arguments.get("executor_config") or {}
    if not isinstance(config, Mapping):
        return
    image = config.get("image")
    if _concrete(image) and image != entry.image:
        yield "image", image, f"dags entry {entry.name!r} (its image is {entry.image or 'not set'})"
    for secret in config.get("secrets") or []:
        if _concrete(secret) and secret not in entry.secrets:
            yield "secret", secret, f"the secrets of dags entry {entry.name!r}"


def task_arguments(task: Any) -> dict[str, Any]:
    """A task's arguments as Airflow stores them: the operator's attributes, or a mapped task's partial kwargs."""
    partial = getattr(task, "partial_kwargs", None)
    if isinstance(partial, Mapping):
        return dict(partial)
    return {k: v for k, v in vars(task).items() if not k.startswith("_")}


# `{{ var.value.key }}`, `{{ var.json.key }}`, `var.value.get('key')` in a Jinja template.
_TEMPLATE_VARIABLE = re.compile(r"\bvar\.(?:value|json)\.(?:get\(\s*['\"]([^'\"]+)['\"]|([A-Za-z_][A-Za-z0-9_]*))")


def variable_references(task: Any) -> set[str]:
    """Variable keys a task reads: in its templated fields' strings and in its callable's `Variable.get(...)`."""
    found: set[str] = set()
    arguments = task_arguments(task)
    for name in getattr(task, "template_fields", ()) or ():
        for text in _strings(arguments.get(name)):
            found |= {a or b for a, b in _TEMPLATE_VARIABLE.findall(text)}
    callable_ = arguments.get("python_callable")
    if callable_ is not None:
        found |= _variable_gets(callable_)
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


def _variable_gets(function: Any) -> set[str]:
    """Literal keys of `Variable.get("key")` / `Variable.get(key="key")` calls in a function's source."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):  # no source (a builtin, a lambda in a REPL): nothing to find
        return set()
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"):
            continue
        owner = node.func.value
        if not (isinstance(owner, ast.Name) and owner.id == "Variable"):
            continue
        argument = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "key"), None)
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            keys.add(argument.value)
    return keys


def _concrete(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value) and "{{" not in value
