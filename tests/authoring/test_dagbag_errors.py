"""Loading DAG files: bad files give Airflow's exception class and a message naming the DAG, task, file and line;
the good files of the same folder still load."""

from __future__ import annotations

import textwrap
from pathlib import Path

from riir_airflow.compat import install, is_installed, uninstall
from riir_airflow.dag_processing.loader import DagBag


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def load(folder: Path) -> DagBag:
    installed = is_installed()
    install()
    try:
        return DagBag(folder)
    finally:
        if not installed:
            uninstall()


def test_bad_files_are_reported_and_good_files_still_load(tmp_path: Path) -> None:
    write(tmp_path, "good.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("good_dag"):
            EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
    """)  # fmt: skip
    cycle = write(tmp_path, "cycle.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("cyclic"):
            a = EmptyOperator(task_id="a")
            b = EmptyOperator(task_id="b")
            c = EmptyOperator(task_id="c")
            a >> b >> c >> a
    """)  # fmt: skip
    duplicate = write(tmp_path, "duplicate.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("dupes"):
            EmptyOperator(task_id="same")
            EmptyOperator(task_id="same")
    """)  # fmt: skip
    syntax = write(tmp_path, "syntax.py", """
        from airflow.sdk import DAG

        with DAG("broken") as dag:
            x = (1,
    """)  # fmt: skip
    missing = write(tmp_path, "missing_import.py", """
        from airflow.sdk import DAG
        import no_such_module_for_dags
    """)  # fmt: skip
    bad_rule = write(tmp_path, "bad_rule.py", """
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator

        with DAG("rules"):
            EmptyOperator(task_id="t", trigger_rule="sometimes")
    """)  # fmt: skip
    bag = load(tmp_path)
    assert list(bag.dags) == ["good_dag"]
    errors = bag.import_errors
    assert set(errors) == {str(p) for p in (cycle, duplicate, syntax, missing, bad_rule)}
    assert errors[str(cycle)] == "AirflowDagCycleException: Cycle detected in Dag: cyclic. Faulty task: c"
    assert "DuplicateTaskIdFound: Task id 'same' has already been added to the Dag" in errors[str(duplicate)]
    assert f'File "{duplicate}", line 7' in errors[str(duplicate)]
    assert "SyntaxError" in errors[str(syntax)] and f'File "{syntax}", line 5' in errors[str(syntax)]
    assert "ModuleNotFoundError: No module named 'no_such_module_for_dags'" in errors[str(missing)]
    assert f'File "{missing}", line 3' in errors[str(missing)]
    assert "'rules.t'; received 'sometimes'" in errors[str(bad_rule)]
    assert "ValueError" in errors[str(bad_rule)] and f'File "{bad_rule}", line 6' in errors[str(bad_rule)]


def test_unassigned_dags_are_found_and_helpers_import_from_the_folder(tmp_path: Path) -> None:
    write(tmp_path, "shared_settings.py", "OWNER = 'team-data'\n")
    write(tmp_path, "many.py", """
        from airflow.sdk import DAG, dag, task
        from shared_settings import OWNER

        @dag(default_args={"owner": OWNER})
        def decorated():
            @task
            def t():
                return 1
            t()

        decorated()

        for name in ("loop_a", "loop_b"):
            with DAG(name):
                pass
    """)  # fmt: skip
    bag = load(tmp_path)
    assert bag.import_errors == {}
    assert sorted(bag.dags) == ["decorated", "loop_a", "loop_b"]
    assert bag.dags["decorated"].get_task("t").owner == "team-data"
