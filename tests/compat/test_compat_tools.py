"""The compat tooling itself: fact diffs, import-error parsing and the reference-output cache key."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "compat-tests"))
sys.path.insert(0, str(ROOT / "compat-tests" / "structure"))

import check  # noqa: E402
import compat_lib  # noqa: E402
import dump_facts  # noqa: E402

# The two shapes DagBag.import_errors values take in Airflow 3.3.2: a traceback cut to its last frames, and a
# one-line "Class: message" for errors found while bagging.
IMPORT_TRACEBACK = """Traceback (most recent call last):
  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed
  File "/corpus/bad_dags/import_error.py", line 5, in <module>
    import module_that_does_not_exist_anywhere
ModuleNotFoundError: No module named 'module_that_does_not_exist_anywhere'
"""
SYNTAX_TRACEBACK = """Traceback (most recent call last):
  File "<frozen importlib._bootstrap>", line 241, in _call_with_frames_removed
  File "/corpus/bad_dags/syntax_error.py", line 5
    with DAG("bad_syntax", schedule=None)
                                         ^
SyntaxError: expected ':'
"""
CHAINED_TRACEBACK = """Traceback (most recent call last):
  File "/venv/airflow/sdk/definitions/param.py", line 268, in validate
airflow.sdk.exceptions.ParamValidationError: Invalid input for param n

On instance:
    'not a number'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/venv/airflow/sdk/definitions/dag.py", line 614, in _validate_params
ValueError: Dag 'x' is not allowed to define a Schedule
"""


def test_error_facts_from_tracebacks_and_one_liners() -> None:
    folder = Path("/corpus/bad_dags")
    assert dump_facts._error_facts("/corpus/bad_dags/import_error.py", IMPORT_TRACEBACK, folder) == {
        "exception": "ModuleNotFoundError",
        "message": "No module named 'module_that_does_not_exist_anywhere'",
        "line": 5,
    }
    assert dump_facts._error_facts("/corpus/bad_dags/syntax_error.py", SYNTAX_TRACEBACK, folder)["line"] == 5
    chained = dump_facts._error_facts("/corpus/bad_dags/p.py", CHAINED_TRACEBACK, folder)
    assert chained == {
        "exception": "ValueError",
        "message": "Dag 'x' is not allowed to define a Schedule",
        "line": None,
    }
    one_line = (
        "AirflowDagDuplicatedIdException: Ignoring DAG d from /corpus/bad_dags/b.py"
        " - also found in /corpus/bad_dags/a.py"
    )
    assert dump_facts._error_facts("/corpus/bad_dags/b.py", one_line, folder) == {
        "exception": "AirflowDagDuplicatedIdException",
        "message": "Ignoring DAG d from b.py - also found in a.py",
        "line": None,
    }


def test_error_facts_drop_the_installation_path_of_import_errors() -> None:
    text = "ImportError: cannot import name 'days_ago' from 'airflow.utils.dates' (/venv/airflow/utils/dates.py)"
    facts = dump_facts._error_facts("/corpus/removed_import.py", text, Path("/corpus"))
    assert facts["message"] == "cannot import name 'days_ago' from 'airflow.utils.dates'"


def test_diff_facts_names_each_differing_leaf() -> None:
    airflow = {"tasks": {"a": {"retries": 1, "upstream_task_ids": []}, "b": {"retries": 0}}, "tags": ["x"]}
    riir = {"tasks": {"a": {"retries": 2, "upstream_task_ids": []}, "c": {"retries": 0}}, "tags": ["x"]}
    assert compat_lib.diff_facts(airflow, riir) == [
        "tasks.a.retries: airflow 1 != riir 2",
        'tasks.b: missing in riir (airflow: {"retries": 0})',
        'tasks.c: only in riir ({"retries": 0})',
    ]
    assert compat_lib.diff_facts(airflow, airflow) == []


def test_compare_checks_error_line_only_when_airflow_has_one() -> None:
    error = {"exception": "ValueError", "message": "bad", "line": None}
    expected = {"dags": {}, "import_errors": {"f.py": error, "g.py": {**error, "line": 3}}}
    actual = {"dags": {}, "import_errors": {"f.py": {**error, "line": 7}, "g.py": {**error, "line": 4}}}
    report, same = check.compare(expected, actual)
    assert report == {"file g.py": ["import_error.line: airflow 3 != riir 4"]}
    assert same == 0


def test_cache_key_follows_the_corpus(tmp_path: Path) -> None:
    script = tmp_path / "dump.py"
    script.write_text("print(1)\n")
    corpus = tmp_path / "dags"
    corpus.mkdir()
    (corpus / "a.py").write_text("x = 1\n")
    first = compat_lib.inputs_hash(script, ["--impl", "airflow"], [corpus])
    assert first == compat_lib.inputs_hash(script, ["--impl", "airflow"], [corpus])
    (corpus / "a.py").write_text("x = 2\n")
    assert compat_lib.inputs_hash(script, ["--impl", "airflow"], [corpus]) != first


def test_fact_histogram_folds_task_ids() -> None:
    report = {
        "DAG a": ["tasks.x.retries: airflow 1 != riir 2", "tasks.y.retries: airflow 1 != riir 2"],
        "DAG b": ["missing in riir (airflow loads it from b.py)"],
    }
    assert check.fact_histogram(report) == [("tasks.*.retries", 2), ("missing in riir", 1)]
