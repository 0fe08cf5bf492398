"""How a DagBag imports its files: one SIGALRM handler for a whole folder still times out each slow file on its own,
and DAG-file bytecode is read and written exactly as importlib does for any module (Airflow's DagBag uses the same
loader)."""

from __future__ import annotations

import importlib.util
import signal
import sys
import textwrap
from pathlib import Path

import pytest

from riir_airflow.dag_processing.loader import DagBag
from tests.authoring.test_dagbag_errors import load as load_folder
from tests.authoring.test_dagbag_errors import write

GOOD = """
    from airflow.sdk import DAG
    from airflow.providers.standard.operators.empty import EmptyOperator

    with DAG("{dag_id}"):
        EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
"""

SLOW = """
    from airflow.sdk import DAG
    import time

    with DAG("{dag_id}"):
        while True:
            time.sleep(0.01)
"""


def load(folder: Path, monkeypatch: pytest.MonkeyPatch, timeout: float = 30.0) -> DagBag:
    monkeypatch.setenv("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", str(timeout))
    return load_folder(folder)


@pytest.mark.timeout(60)
def test_each_slow_file_times_out_alone_and_the_handler_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "a_good.py", GOOD.format(dag_id="first"))
    slow_one = write(tmp_path, "b_slow.py", SLOW.format(dag_id="slow_one"))
    write(tmp_path, "c_good.py", GOOD.format(dag_id="between"))
    slow_two = write(tmp_path, "d_slow.py", SLOW.format(dag_id="slow_two"))
    write(tmp_path, "e_good.py", GOOD.format(dag_id="last"))

    def previous_handler(signum: int, frame: object) -> None:
        raise AssertionError("the DagBag's own handler should have been in place")

    before = signal.signal(signal.SIGALRM, previous_handler)
    try:
        bag = load(tmp_path, monkeypatch, timeout=0.5)
        assert signal.getsignal(signal.SIGALRM) is previous_handler
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, before)
    assert sorted(bag.dags) == ["between", "first", "last"]
    assert set(bag.import_errors) == {str(slow_one), str(slow_two)}
    for path in (slow_one, slow_two):
        assert f"AirflowTaskTimeout: DagBag import timeout for {path} after 0.5s." in bag.import_errors[str(path)]


def test_a_single_file_gets_its_own_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = write(tmp_path, "slow.py", SLOW.format(dag_id="slow"))
    bag = load(slow, monkeypatch, timeout=0.5)
    assert bag.dags == {}
    assert "AirflowTaskTimeout" in bag.import_errors[str(slow)]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_bytecode_is_written_unless_disabled_and_a_current_pyc_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "cached.py", GOOD.format(dag_id="cached"))
    pyc = Path(importlib.util.cache_from_source(str(path)))

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert "cached" in load(tmp_path, monkeypatch).dags
    assert not pyc.exists()

    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert "cached" in load(tmp_path, monkeypatch).dags
    assert pyc.exists()

    # A current .pyc is what gets executed (as for any import): one compiled from other source under the same
    # source stamp (mtime and size) proves it was read instead of the source.
    stamp = path.stat()
    replacement = GOOD.format(dag_id="cachex")
    assert len(textwrap.dedent(replacement)) == stamp.st_size
    code = compile(textwrap.dedent(replacement), str(path), "exec")
    pyc.write_bytes(importlib._bootstrap_external._code_to_timestamp_pyc(code, stamp.st_mtime, stamp.st_size))  # type: ignore[attr-defined]
    assert sorted(load(tmp_path, monkeypatch).dags) == ["cachex"]


def test_files_without_airflow_and_dag_are_not_imported_in_safe_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "helper.py", "raise RuntimeError('imported')\n")
    write(tmp_path, "good.py", GOOD.format(dag_id="good"))
    bag = load(tmp_path, monkeypatch)
    assert sorted(bag.dags) == ["good"]
    assert bag.import_errors == {}


# A DAG file that rewrites a later file of its folder while it is imported (after the later one was read and compiled
# ahead of it, see riir_airflow.dag_processing.compile_ahead).
REWRITER = """
    import os
    from pathlib import Path

    from airflow.sdk import DAG

    later = Path(__file__).with_name("b_target.py")
    later.write_text("from airflow.sdk import DAG\\n\\nwith DAG('rewritten'):\\n    pass\\n")
    os.utime(later, (later.stat().st_atime, later.stat().st_mtime + 10))

    with DAG("rewriter"):
        pass
"""


def test_a_file_changed_before_its_turn_is_imported_as_it_is_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "a_rewriter.py", REWRITER)
    write(tmp_path, "b_target.py", GOOD.format(dag_id="original"))
    bag = load(tmp_path, monkeypatch)
    assert sorted(bag.dags) == ["rewriter", "rewritten"]
    assert bag.import_errors == {}


def test_a_compile_done_ahead_counts_against_the_import_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "compiled_ahead.py", "from riir_airflow.sdk import DAG\n\nwith DAG('late'):\n    pass\n")
    source = path.read_bytes()
    code = compile(source, str(path), "exec", dont_inherit=True)
    monkeypatch.setenv("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT", "0.5")
    bag = DagBag(tmp_path, collect_dags=False)
    # (the compile took longer than the whole timeout: the import is over time as it starts)
    assert bag._import(str(path), source, code, compile_seconds=0.6) == []
    assert f"AirflowTaskTimeout: DagBag import timeout for {path} after 0.5s." in bag.import_errors[str(path)]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    # Within the budget it loads.
    bag = DagBag(tmp_path, collect_dags=False)
    assert [dag.dag_id for dag in bag.process_file(str(path))] == ["late"]
