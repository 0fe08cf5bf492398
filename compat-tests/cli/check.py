"""CLI compat check: the scripted session of session.py, run by real Airflow 3.3.2 and by riir-airflow on the same
DAG folder (compat-tests/cli/dags), each against its own fresh PostgreSQL database; `-o json` results must agree on
record keys and on the ids, states and counts session.py names, plain outputs line by line, exit codes on success
or failure. Then `--help`: every command of Airflow's parser that riir-airflow has must take the same positionals
and at least the same flags; Airflow commands riir-airflow does not have are allowed only with a reason (EXEMPT).

    python compat-tests/cli/check.py

Airflow's side (airflow_side.py) is cached under ~/.cache/riir-airflow/compat/ keyed by the scripts and the DAGs.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(HERE.parent), str(HERE), str(ROOT)]

from compat_lib import airflow_output  # noqa: E402
from parser_tree import walk  # noqa: E402
from session import STEPS  # noqa: E402

ADMIN_DSN = os.environ.get("RIIR_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")

# Airflow commands riir-airflow does not have, and why.
EXEMPT: dict[str, str] = {}
# Commands added by other modules of the project (providers_command, plugins_command): checked when present.
ELSEWHERE_PREFIXES = ("providers", "plugins")


def airflow_results() -> dict[str, Any]:
    inputs = [HERE / "airflow_side.py", HERE / "airflow_steps.py", HERE / "session.py", HERE / "parser_tree.py",
              HERE / "dags"]  # fmt: skip
    return dict(json.loads(airflow_output("cli", HERE / "airflow_side.py", [], inputs, timeout=1800)))


async def _create_db() -> str:
    import asyncpg

    name = f"riir_cli_compat_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_db(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def riir_results(home: Path) -> dict[str, Any]:
    """The session through riir-airflow's own parser and commands, in this process (as Airflow's side does)."""
    name = asyncio.run(_create_db())
    os.environ.update(
        AIRFLOW_HOME=str(home), AIRFLOW__CORE__DAGS_FOLDER=str(HERE / "dags"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"{ADMIN_DSN.rsplit('/', 1)[0]}/{name}",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True", RIIR_AIRFLOW_COMPAT="1",
    )  # fmt: skip
    from riir_airflow.cli.main import main

    out: dict[str, Any] = {}
    try:
        assert main(["db", "migrate"]) == 0
        for step, argv, _ in STEPS:
            stdout, stderr = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                try:
                    code = main(argv)
                except SystemExit as exc:
                    code = 1 if isinstance(exc.code, str) else int(exc.code or 0)
                    if isinstance(exc.code, str):
                        print(exc.code, file=sys.stderr)
            out[step] = {"rc": code, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()[-2000:]}
    finally:
        asyncio.run(_drop_db(name))
    out["__tree__"] = walk(__import__("riir_airflow.cli.main", fromlist=["build_parser"]).build_parser())
    return out


def _json(text: str) -> Any:
    """The JSON document of a command's stdout; log lines Airflow prints before it (`... [info     ] ...`) skipped."""
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.lstrip().startswith(("[", "{"))]
    if not starts:
        return None
    error: ValueError | None = None
    for i in starts:
        try:
            return json.loads("".join(lines[i:]))
        except ValueError as err:
            error = error or err
    raise error or ValueError("no JSON document")


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip().splitlines() if line.strip()]


def compare_step(step: str, kind: str, theirs: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    problems = []
    if (theirs["rc"] == 0) != (ours["rc"] == 0) or (theirs["rc"] == 2) != (ours["rc"] == 2):
        problems.append(f"exit code: airflow {theirs['rc']}, riir {ours['rc']}\n  airflow stderr: "
                        f"{theirs['stderr'][-300:]}\n  riir stderr: {ours['stderr'][-300:]}")  # fmt: skip
    if kind == "exit" or theirs["rc"] != 0:
        return problems
    if kind == "lines":
        if _lines(theirs["stdout"]) != _lines(ours["stdout"]):
            problems.append(
                f"output differs:\n  airflow: {_lines(theirs['stdout'])}\n  riir:    {_lines(ours['stdout'])}"
            )
        return problems
    keys = [k for k in kind.removeprefix("json:").split(",") if k]
    try:
        a, b = _json(theirs["stdout"]), _json(ours["stdout"])
    except ValueError as err:
        return [*problems, f"not JSON: {err}\n  airflow: {theirs['stdout'][:300]}\n  riir: {ours['stdout'][:300]}"]
    if not isinstance(a, list) or not isinstance(b, list):
        return [*problems, f"not a JSON list: airflow {a!r:.200} / riir {b!r:.200}"]
    # Airflow lists some records in database order: compare them sorted by the compared values.
    a = sorted(a, key=lambda r: json.dumps([r.get(k) for k in keys], sort_keys=True, default=str))
    b = sorted(b, key=lambda r: json.dumps([r.get(k) for k in keys], sort_keys=True, default=str))
    if len(a) != len(b):
        problems.append(f"{len(a)} records from airflow, {len(b)} from riir:\n  airflow: {a}\n  riir:    {b}")
        return problems
    for x, y in zip(a, b, strict=True):
        if list(x) != list(y):
            problems.append(f"record keys differ:\n  airflow: {list(x)}\n  riir:    {list(y)}")
        for key in keys:
            if x.get(key) != y.get(key):
                problems.append(f"{key}: airflow {x.get(key)!r}, riir {y.get(key)!r}")
    return problems


def compare_trees(theirs: dict[str, Any], ours: dict[str, Any]) -> list[str]:
    problems = []
    for command, spec in sorted(theirs.items()):
        if command not in ours:
            if command not in EXEMPT and not command.startswith(ELSEWHERE_PREFIXES):
                problems.append(f"`{command}` is missing")
            continue
        mine = ours[command]
        if spec["positionals"] != mine["positionals"]:
            problems.append(f"`{command}` positionals: airflow {spec['positionals']}, riir {mine['positionals']}")
        missing = sorted(set(spec["flags"]) - set(mine["flags"]))
        if missing:
            problems.append(f"`{command}` lacks flags {missing}")
    return problems


def main() -> int:
    import tempfile

    theirs = airflow_results()
    with tempfile.TemporaryDirectory(prefix="riir-cli-compat-") as home:
        ours = riir_results(Path(home))
    failures = 0
    for step, _, kind in STEPS:
        problems = compare_step(step, kind, theirs[step], ours[step])
        status = "ok" if not problems else "DIFF"
        print(f"[{status}] {step}")
        for problem in problems:
            print("    " + problem.replace("\n", "\n    "))
        failures += bool(problems)
    tree_problems = compare_trees(theirs["__tree__"], ours["__tree__"])
    print(f"[{'ok' if not tree_problems else 'DIFF'}] --help of {len(theirs['__tree__'])} Airflow commands")
    for problem in tree_problems:
        print("    " + problem)
    failures += bool(tree_problems)
    print(f"{len(STEPS) + 1 - failures} of {len(STEPS) + 1} checks agree")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
