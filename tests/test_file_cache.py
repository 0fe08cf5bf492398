"""Per-file memoization (`@task(cache="file")`) in `dags test`: a try whose input file, code version and params were
seen succeed is not run again; its output file(s) and XCom are reused, and it is a success noted "cached: ...".

The task below appends to `calls.log` every time its body really runs, so the tests see which tries ran.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from riir_airflow.dag_processing.loader import DagBag
from riir_airflow.runtime.file_cache import CACHED_NOTE_PREFIX
from riir_airflow.runtime.local import DagTestResult

DAG_SOURCE = """
import pendulum

from riir_airflow.dir_assets import DirAsset
from riir_airflow.sdk import DAG, task

SRC = DirAsset({src!r})
OUT = DirAsset({out!r})

with DAG("cached", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), params={{"suffix": "!"}}):

    @task
    def files() -> list[str]:
        return sorted(p.name for p in SRC.path.iterdir())

    @task(cache="file", inlets=[SRC], outlets=[OUT])
    def transform(rel: str, params=None) -> str:
        with open({calls!r}, "a") as log:
            log.write(rel + "\\n")
        (OUT.path / rel).write_text((SRC.path / rel).read_text().{method}() + params["suffix"])
        return rel

    transform.expand(rel=files())
"""


class Chain:
    """A DAG file with one cached mapped task over the files of `src`, written to `tmp_path`."""

    def __init__(self, tmp_path: Path) -> None:
        self.src, self.out = tmp_path / "src", tmp_path / "out"
        self.src.mkdir()
        self.out.mkdir()
        self.calls = tmp_path / "calls.log"
        self.dag_file = tmp_path / "dags" / "cached_dag.py"
        self.dag_file.parent.mkdir()
        for name in ("a", "b", "c", "d", "e"):
            (self.src / f"{name}.txt").write_text(f"{name}\n")
        self.write(method="upper")

    def write(self, method: str) -> None:
        source = DAG_SOURCE.format(src=str(self.src), out=str(self.out), calls=str(self.calls), method=method)
        self.dag_file.write_text(textwrap.dedent(source))

    def run(self, conf: dict[str, str] | None = None) -> DagTestResult:
        """Loads the DAG file afresh (as an app restarted on a new version would) and runs it once."""
        bag = DagBag(str(self.dag_file), include_examples=False)
        assert not bag.import_errors, bag.import_errors
        self.calls.write_text("")
        result = bag.dags["cached"].test(run_conf=conf)
        assert result.state == "success"
        return result

    def ran(self) -> list[str]:
        return sorted(self.calls.read_text().split())


def cached_indexes(result: DagTestResult) -> list[int]:
    return [
        r.map_index
        for r in result.task_instances()
        if r.task_id == "transform" and (r.note or "").startswith(CACHED_NOTE_PREFIX)
    ]


def returned(result: DagTestResult) -> list[str]:
    return sorted(x["value"] for x in result.store.xcom_rows() if x["task_id"] == "transform")


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Chain:
    monkeypatch.setenv("AIRFLOW__RIIR__MANIFEST_STORE", str(tmp_path / "store"))
    return Chain(tmp_path)


FILES = ["a.txt", "b.txt", "c.txt", "d.txt", "e.txt"]


def test_a_second_run_reuses_every_output_without_running(chain: Chain) -> None:
    first = chain.run()
    assert chain.ran() == FILES and cached_indexes(first) == []
    second = chain.run()
    assert chain.ran() == []  # nothing ran...
    assert cached_indexes(second) == [0, 1, 2, 3, 4]  # ...every try is a success noted "cached"
    assert all(r.state == "success" for r in second.task_instances())
    assert returned(second) == FILES  # the XComs are the recorded return values
    note = next(r.note for r in second.task_instances() if r.task_id == "transform")
    assert note is not None and first.run.run_id in note


def test_only_a_changed_input_file_runs_again(chain: Chain) -> None:
    chain.run()
    (chain.src / "c.txt").write_text("changed\n")
    result = chain.run()
    assert chain.ran() == ["c.txt"]
    assert cached_indexes(result) == [0, 1, 3, 4]
    assert (chain.out / "c.txt").read_text() == "CHANGED\n!"


def test_changing_the_task_code_invalidates_the_cache(chain: Chain) -> None:
    chain.run()
    chain.write(method="lower")  # the task's body changed: a new code version
    result = chain.run()
    assert chain.ran() == FILES and cached_indexes(result) == []
    assert (chain.out / "a.txt").read_text() == "a\n!"
    chain.run()
    assert chain.ran() == []  # the new version is cached in turn


def test_changing_params_invalidates_the_cache(chain: Chain) -> None:
    chain.run()
    result = chain.run(conf={"suffix": "?"})
    assert chain.ran() == FILES and cached_indexes(result) == []
    assert (chain.out / "b.txt").read_text() == "B\n?"


def test_a_hit_restores_a_deleted_or_altered_output(chain: Chain) -> None:
    chain.run()
    (chain.out / "a.txt").unlink()
    (chain.out / "b.txt").write_text("tampered")
    result = chain.run()
    assert chain.ran() == []
    assert (chain.out / "a.txt").read_text() == "A\n!" and (chain.out / "b.txt").read_text() == "B\n!"
    notes = {r.map_index: r.note for r in result.task_instances() if r.task_id == "transform"}
    assert notes[0] is not None and "1 output file(s) restored" in notes[0]


def test_an_unknown_cache_mode_names_the_task() -> None:
    from riir_airflow.sdk import DAG, task

    with DAG("bad_cache", schedule=None), pytest.raises(ValueError, match=r"task 't'.*cache='dir'"):

        @task(cache="dir")
        def t() -> None: ...

        t()


def test_the_operator_level_cache_argument(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`cache="file"` on a classic operator: here a PythonOperator whose op_kwargs name the input file."""
    from riir_airflow.dir_assets import DirAsset
    from riir_airflow.providers.standard.operators.python import PythonOperator
    from riir_airflow.sdk import DAG

    monkeypatch.setenv("AIRFLOW__RIIR__MANIFEST_STORE", str(tmp_path / "store"))
    src, calls = DirAsset(str(tmp_path / "src")), tmp_path / "calls.log"
    src.path.mkdir()
    (src.path / "in.txt").write_text("one")

    def count(rel: str) -> int:
        with open(calls, "a") as log:
            log.write(rel + "\n")
        return len((src.path / rel).read_text())

    with DAG("classic_cached", schedule=None) as dag:
        PythonOperator(task_id="count", python_callable=count, op_kwargs={"rel": "in.txt"}, cache="file", inlets=[src])

    def run() -> tuple[list[str], str | None, int]:
        calls.write_text("")
        result = dag.test()
        [record] = result.task_instances()
        [value] = [x["value"] for x in result.store.xcom_rows()]
        return calls.read_text().split(), record.note, value

    assert run()[::2] == (["in.txt"], 3)
    ran, note, value = run()
    assert ran == [] and note is not None and note.startswith(CACHED_NOTE_PREFIX) and value == 3
    (src.path / "in.txt").write_text("three")
    assert run()[::2] == (["in.txt"], 5)
