"""`riir-airflow dags ...` commands that work on DAG files without a database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.app.harness import env_for


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = env_for("postgresql://unused@127.0.0.1:1/none", tmp_path)
    return subprocess.run(
        [sys.executable, "-m", "riir_airflow", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_next_execution_lists_the_next_logical_dates(tmp_path: Path) -> None:
    dag = tmp_path / "weekly.py"
    dag.write_text(textwrap.dedent("""
        import pendulum
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("weekly", schedule="0 6 * * 1", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), catchup=True):
            EmptyOperator(task_id="t")
    """))  # fmt: skip
    result = run(tmp_path, "dags", "next-execution", str(dag), "-n", "3")
    assert result.returncode == 0, result.stderr
    # Mondays at 06:00 from the start date on (catchup): the first three of them.
    assert result.stdout.split() == [
        "2024-01-01T06:00:00+00:00",
        "2024-01-08T06:00:00+00:00",
        "2024-01-15T06:00:00+00:00",
    ]


def test_next_execution_of_an_unscheduled_dag_says_so(tmp_path: Path) -> None:
    dag = tmp_path / "manual.py"
    dag.write_text("from airflow.sdk import DAG\nwith DAG('manual', schedule=None):\n    pass\n")
    result = run(tmp_path, "dags", "next-execution", str(dag))
    assert result.returncode == 0
    assert result.stdout.strip() == "None" and "No following schedule" in result.stderr


def test_show_prints_dot_and_list_reports_import_errors(tmp_path: Path) -> None:
    (tmp_path / "ok.py").write_text(textwrap.dedent("""
        from airflow.sdk import DAG, Label
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("shown"):
            EmptyOperator(task_id="a") >> Label("then") >> EmptyOperator(task_id="b")
    """))  # fmt: skip
    (tmp_path / "bad.py").write_text("from airflow.sdk import DAG\nraise RuntimeError('broken on purpose')\n")
    shown = run(tmp_path, "dags", "show", str(tmp_path / "ok.py"))
    assert shown.returncode == 0 and '"a" -> "b" [label="then"];' in shown.stdout
    listed = run(tmp_path, "dags", "list", "-S", str(tmp_path), "-o", "plain")
    assert listed.stdout.splitlines()[1].split()[0] == "shown" and "Failed to load all files" in listed.stderr
    errors = run(tmp_path, "dags", "list-import-errors", "-S", str(tmp_path), "-o", "json")
    assert errors.returncode == 1 and "RuntimeError: broken on purpose" in errors.stdout
