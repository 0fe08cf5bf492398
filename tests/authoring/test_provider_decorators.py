"""`@task.<name>` finds decorators that installed providers declare (`task-decorators` in the provider info of their
`apache_airflow_provider` entry point), as Airflow does; unknown names fail as in Airflow, naming the provider of the
well-known ones; `@task.stub` is the standard provider's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.app.harness import env_for

PROVIDER = """
def get_provider_info():
    return {
        "package-name": "riir-test-provider-shout",
        "name": "Shout",
        "task-decorators": [{"name": "shout", "class-name": "shout_provider.decorators.shout_task"}],
    }
"""
DECORATORS = """
from airflow.sdk.bases.decorator import task_decorator_factory
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk.bases.decorator import DecoratedOperator


class _ShoutOperator(DecoratedOperator, PythonOperator):
    custom_operator_name = "@task.shout"

    def __init__(self, *, python_callable, op_args=None, op_kwargs=None, **kwargs):
        upstream = {"python_callable": python_callable, "op_args": op_args, "op_kwargs": op_kwargs}
        super().__init__(
            kwargs_to_upstream=upstream, python_callable=python_callable, op_args=op_args, op_kwargs=op_kwargs,
            **kwargs,
        )

    def execute(self, context):
        return str(super().execute(context)).upper()


def shout_task(python_callable=None, multiple_outputs=None, **kwargs):
    return task_decorator_factory(
        python_callable=python_callable, multiple_outputs=multiple_outputs, decorated_operator_class=_ShoutOperator,
        **kwargs,
    )
"""
DAG = """
import datetime
from airflow.sdk import DAG, task

with DAG("shouting", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    @task.shout
    def greet(name):
        return f"hello {name}"

    greet("riir")
"""


def _install_provider(site: Path) -> None:
    """A real (tiny) distribution on sys.path: package, dist-info with METADATA and the entry point."""
    package = site / "shout_provider"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PROVIDER)
    (package / "decorators.py").write_text(DECORATORS)
    dist = site / "riir_test_provider_shout-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: riir-test-provider-shout\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[apache_airflow_provider]\nprovider_info = shout_provider:get_provider_info\n"
    )


def test_a_provider_decorator_is_found_through_its_entry_point(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_provider(site)
    dag = tmp_path / "shouting.py"
    dag.write_text(DAG)
    env = env_for("postgresql://unused@127.0.0.1:1/none", tmp_path / "home", PYTHONPATH=str(site))
    results = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "riir_airflow", "dags", "test", str(dag), "2024-03-05", "--save-results", str(results)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"HELLO RIIR"' in results.read_text()


def test_unknown_decorators_fail_as_in_airflow() -> None:
    from riir_airflow.sdk import task

    # apache-spark is not in the provider matrix: its decorator is missing, with the hint where it comes from.
    with pytest.raises(AttributeError, match=r"task decorator 'pyspark' not found \(it comes with apache-airflow-"):
        task.pyspark  # noqa: B018
    with pytest.raises(AttributeError, match=r"^task decorator 'nope' not found$"):
        task.nope  # noqa: B018


def test_stub_tasks_exist_in_the_graph_only(tmp_path: Path) -> None:
    import importlib.util

    from riir_airflow.sdk import DAG, task

    with DAG("stubs", schedule=None) as dag:

        @task.stub(queue="java")
        def remote() -> None: ...

        remote()
    stub = dag.task_dict["remote"]
    assert stub.is_stub and stub.queue == "java" and stub.custom_operator_name == "@task.stub"
    with pytest.raises(RuntimeError, match="should not be executed directly"):
        stub.execute({})
    bad = tmp_path / "bad_stub.py"
    bad.write_text(
        textwrap.dedent(
            """
            from riir_airflow.sdk import DAG, task
            with DAG("bad_stub", schedule=None):
                @task.stub
                def remote():
                    return 1
                remote()
            """
        )
    )
    spec = importlib.util.spec_from_file_location("bad_stub", bad)
    assert spec is not None and spec.loader is not None
    with pytest.raises(ValueError, match="must be an empty function"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
