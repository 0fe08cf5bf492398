"""Helpers shared by the compat suites (compat-tests/<suite>/check.py): run real Airflow with a cache, diff facts.

A suite imports this module after putting compat-tests/ on sys.path:

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from compat_lib import airflow_output, diff_facts, run_riir

Real Airflow's output is cached in ~/.cache/riir-airflow/compat/ under a key that hashes the script, its arguments and
every input file, so a second run of an unchanged corpus does not start the (slow) reference interpreter again.
Set RIIR_COMPAT_REFRESH=1 to ignore the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from airflow_env import AIRFLOW_VERSION, airflow_env, airflow_python

CACHE_DIR = Path(os.environ.get("RIIR_COMPAT_CACHE", Path.home() / ".cache" / "riir-airflow" / "compat"))
ROOT = Path(__file__).resolve().parents[1]


def _files(inputs: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for item in inputs:
        if item.is_dir():
            out.extend(p for p in item.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        elif item.is_file():
            out.append(item)
    return sorted(out)


def inputs_hash(script: Path, args: list[str], inputs: Iterable[Path], key: Iterable[str] = ()) -> str:
    """Stable hash of what determines the reference output: Airflow version, script, arguments, input files, and any
    other `key` strings (e.g. extra distributions installed in the reference venv)."""
    digest = hashlib.sha256(f"airflow=={AIRFLOW_VERSION}\n".encode())
    for part in key:
        digest.update(part.encode() + b"\0")
    digest.update(script.read_bytes())
    digest.update("\0".join(args).encode())
    for path in _files(inputs):
        digest.update(str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def airflow_output(
    name: str, script: Path, args: list[str], inputs: Iterable[Path], timeout: float = 900, key: Iterable[str] = ()
) -> str:
    """Stdout of `script args` run by real Airflow's interpreter (private AIRFLOW_HOME), cached by inputs_hash."""
    inputs = list(inputs)
    digest = inputs_hash(script, args, inputs, key)
    cached = CACHE_DIR / f"{name}-{digest}.out"
    if cached.exists() and not os.environ.get("RIIR_COMPAT_REFRESH"):
        return cached.read_text()
    python = airflow_python()
    with tempfile.TemporaryDirectory(prefix="riir-compat-home-") as home:
        proc = subprocess.run(
            [str(python), str(script), *args],
            env=airflow_env(Path(home)),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"real Airflow failed running {script.name} {' '.join(args)}:\n{proc.stderr[-4000:]}")
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    for stale in CACHE_DIR.glob(f"{name}-*.out"):  # results for older versions of this corpus
        stale.unlink(missing_ok=True)
    tmp = cached.with_suffix(".tmp")
    tmp.write_text(proc.stdout)
    tmp.replace(cached)
    return proc.stdout


def run_riir(script: Path, args: list[str], timeout: float = 900) -> tuple[int, str, str]:
    """Run `script args` with the project's interpreter; returns (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    proc = subprocess.run(
        [sys.executable, str(script), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    return proc.returncode, proc.stdout, proc.stderr


def diff_facts(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Readable differences between two JSON-like values, one line per differing leaf, `path: airflow != riir`."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        lines: list[str] = []
        for key in sorted(set(expected) | set(actual), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in actual:
                lines.append(f"{sub}: missing in riir (airflow: {_short(expected[key])})")
            elif key not in expected:
                lines.append(f"{sub}: only in riir ({_short(actual[key])})")
            else:
                lines.extend(diff_facts(expected[key], actual[key], sub))
        return lines
    if expected != actual:
        return [f"{path}: airflow {_short(expected)} != riir {_short(actual)}"]
    return []


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."
