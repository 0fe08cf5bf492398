"""@task.virtualenv / PythonVirtualenvOperator and @task.external_python / ExternalPythonOperator run the callable in
another interpreter: real venvs made with the stdlib venv module and pip, cached by requirements hash, in `dags test`.
(Side by side with Airflow: compat-tests/behaviour/dags/virtualenv_tasks.py; under the app: tests/app.)"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from riir_airflow.authoring.standard.python_virtualenv import ExternalPythonOperator, PythonVirtualenvOperator
from riir_airflow.authoring.standard.virtualenv import decorated_function_source
from riir_airflow.exceptions import AirflowException
from tests.app.harness import env_for

CACHED_DAG = """
    import datetime
    import os

    from airflow.sdk import DAG, task

    with DAG("venv_cache", schedule=None, start_date=datetime.datetime(2024, 1, 1)):

        @task.virtualenv(
            requirements=["tabulate==0.9.0"], system_site_packages=False, venv_cache_path=os.environ["VENV_CACHE"],
            serializer="pickle",
        )
        def render(n, ds=None):
            import sys
            import tabulate

            return {"table": tabulate.tabulate([[n, ds]]), "venv": sys.prefix.rsplit("/", 1)[-1]}

        render(7)
"""


def _dags_test(path: Path, home: Path, cache: Path) -> dict[str, object]:
    env = env_for("postgresql://unused@127.0.0.1:1/none", home, VENV_CACHE=str(cache))
    results = home / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", str(path), "2024-05-01", "--save-results", str(results)],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(results.read_text())  # type: ignore[no-any-return]


@pytest.mark.timeout(300)
def test_venv_is_built_once_per_requirements_hash_and_reused(tmp_path: Path) -> None:
    dag = tmp_path / "venv_cache.py"
    dag.write_text(textwrap.dedent(CACHED_DAG))
    cache = tmp_path / "cache"
    first = _dags_test(dag, tmp_path, cache)
    venvs = sorted(p.name for p in cache.iterdir() if p.is_dir())
    # One folder named by the hash of (requirements, pip options, index urls, cache key, python version, site pkgs).
    assert venvs == ["venv-336ab430"]
    marker = cache / venvs[0] / "install_complete_marker.json"
    assert json.loads(marker.read_text())["requirements_list"] == ["tabulate==0.9.0"]
    before = marker.stat().st_mtime_ns, (cache / venvs[0] / "bin" / "python").stat().st_ino
    [xcom] = first["xcoms"]  # type: ignore[attr-defined]
    assert xcom["value"] == {"table": "-  ----------\n7  2024-05-01\n-  ----------", "venv": "venv-336ab430"}

    second = _dags_test(dag, tmp_path, cache)
    # The cache hit reuses the same venv untouched.
    assert (marker.stat().st_mtime_ns, (cache / venvs[0] / "bin" / "python").stat().st_ino) == before
    assert second["xcoms"] == first["xcoms"]


def test_a_partial_venv_in_the_cache_is_rebuilt(tmp_path: Path) -> None:
    def noop() -> int:
        return 1

    op = PythonVirtualenvOperator(task_id="t", python_callable=noop, system_site_packages=False)
    cache_hash, _ = op._calculate_cache_hash()
    partial = tmp_path / f"venv-{cache_hash}"
    partial.mkdir()
    (partial / "leftover").write_text("from a killed install")
    venv = op._ensure_venv_cache_exists(tmp_path)
    assert venv == partial and not (venv / "leftover").exists()
    assert (venv / "install_complete_marker.json").exists() and (venv / "bin" / "python").exists()


def test_decorators_are_removed_from_the_source_sent_to_the_other_interpreter() -> None:
    source = """
    @task.virtualenv(
        requirements=["x"],
    )
    @setup
    def f(a):
        # a comment line is dropped too
        @other
        def inner():
            return a
        return inner()
    """
    assert decorated_function_source(textwrap.dedent(source).lstrip(), "@task.virtualenv") == textwrap.dedent(
        """\
        def f(a):
            @other
            def inner():
                return a
            return inner()
        """
    )


def _callable() -> None:
    return None


def test_bad_arguments_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(AirflowException, match=r"Unsupported serializer 'json'. Expected one of 'pickle', 'dill'"):
        PythonVirtualenvOperator(task_id="a", python_callable=_callable, serializer="json")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="only supports functions for python_callable arg"):
        PythonVirtualenvOperator(task_id="b", python_callable=lambda: 1)
    with pytest.raises(AirflowException, match="non-string types"):
        PythonVirtualenvOperator(task_id="c", python_callable=_callable, python_version=3.11)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Python Path must be defined"):
        ExternalPythonOperator(task_id="d", python_callable=_callable, python="")
    missing = ExternalPythonOperator(task_id="e", python_callable=_callable, python=str(tmp_path / "nope"))
    with pytest.raises(ValueError, match=f"Python Path '{tmp_path / 'nope'}' must exists"):
        missing.execute_callable()
    relative = ExternalPythonOperator(task_id="f", python_callable=_callable, python=str(tmp_path))
    with pytest.raises(ValueError, match="must be a file"):
        relative.execute_callable()
