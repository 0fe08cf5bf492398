"""Directories as data, end to end in `dags test`: a producer and a 3-stage chain over 10,000 small files.

Each stage is a DAG that consumes the previous stage's directory asset, processes only the files the asset's
manifest says changed since its previous run, prunes the outputs of removed inputs, and publishes its own
directory. A stage "runs" only when its input published an event, as an asset-triggered DAG would.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pendulum
import pytest

from riir_airflow.dir_assets import DirAsset, diff_since_last_consumed, prune
from riir_airflow.sdk import DAG, task

FILES = 10_000


def stage_dag(name: str, source: DirAsset | None, target: DirAsset, processed: list[str]) -> DAG:
    """One stage: reads the changed files of `source`, writes each one's output 1:1 into `target`."""
    with DAG(name, schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")) as dag:

        @task(outlets=[target])
        def process() -> dict[str, int]:
            if source is None:  # the producer: the files were written outside (by the test)
                return {"processed": 0, "pruned": 0}
            diff = diff_since_last_consumed(source)
            out = target.path
            for rel in diff.changed:
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_text((source.path / rel).read_text().upper())
                processed.append(rel)
            pruned = prune(out, diff.removed)
            return {"processed": len(diff.changed), "pruned": len(pruned)}

        process()
    return dag


def run_stage(dag: DAG) -> tuple[str, list[dict[str, Any]]]:
    """Runs one stage; returns its state and the asset events it emitted."""
    result = dag.test()
    return result.state, list(result.store.asset_event_rows)


def rewrite(path: Path, text: str) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


@pytest.mark.timeout(600)
def test_only_changed_files_flow_through_a_three_stage_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__RIIR__MANIFEST_STORE", str(tmp_path / "manifests"))
    raw = tmp_path / "raw"
    for i in range(FILES):
        folder = raw / f"p{i % 50:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"r{i:05d}.txt").write_text(f"row {i}\n")
    assets = [DirAsset(str(tmp_path / d)) for d in ("raw", "s1", "s2", "s3")]
    for asset in assets[1:]:
        asset.path.mkdir()
    processed: dict[str, list[str]] = {f"stage{i}": [] for i in (1, 2, 3)}
    dags = [stage_dag("producer", None, assets[0], [])] + [
        stage_dag(f"stage{i}", assets[i - 1], assets[i], processed[f"stage{i}"]) for i in (1, 2, 3)
    ]

    def run_chain() -> list[str]:
        """Runs the producer, then each stage whose input emitted an event; returns the DAGs that ran."""
        ran = []
        upstream_event = True
        for dag in dags:
            if not upstream_event:
                break  # no asset event: an asset-scheduled DAG is not triggered
            state, events = run_stage(dag)
            assert state == "success"
            ran.append(dag.dag_id)
            upstream_event = bool(events)
        return ran

    # First pass: every file flows through every stage.
    assert run_chain() == ["producer", "stage1", "stage2", "stage3"]
    assert [len(processed[s]) for s in processed] == [FILES, FILES, FILES]
    assert (tmp_path / "s3" / "p07" / "r00007.txt").read_text() == "ROW 7\n"

    # Change 7 files: exactly those 7 flow through every stage.
    for lists in processed.values():
        lists.clear()
    changed = sorted(f"p{i % 50:02d}/r{i:05d}.txt" for i in (3, 141, 2718, 3141, 5000, 7777, 9999))
    for rel in changed:
        rewrite(raw / rel, "changed\n")
    assert run_chain() == ["producer", "stage1", "stage2", "stage3"]
    assert {s: sorted(v) for s, v in processed.items()} == dict.fromkeys(processed, changed)
    assert (tmp_path / "s3" / changed[0]).read_text() == "CHANGED\n"

    # Remove 2 inputs: their outputs are pruned at every stage, nothing is re-processed.
    for lists in processed.values():
        lists.clear()
    removed = ["p01/r00001.txt", "p02/r00002.txt"]
    for rel in removed:
        (raw / rel).unlink()
    assert run_chain() == ["producer", "stage1", "stage2", "stage3"]
    assert all(not v for v in processed.values())
    for stage in ("s1", "s2", "s3"):
        assert not any((tmp_path / stage / rel).exists() for rel in removed)
        assert sum(1 for _ in (tmp_path / stage).rglob("*.txt")) == FILES - 2

    # Change nothing: the producer emits no event, so no stage runs.
    assert run_chain() == ["producer"]


def test_a_rerun_of_the_same_consumer_run_gets_the_same_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Retrying or clearing a consumer run must not lose its files: the diff is recorded per run."""
    from riir_airflow.runtime.manifests import default_store

    monkeypatch.setenv("AIRFLOW__RIIR__MANIFEST_STORE", str(tmp_path / "manifests"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("a")
    asset = DirAsset(str(data))
    store = default_store()
    assert store.publish(asset) is not None
    first = store.diff_for_run("consumer", "run_1", asset)
    assert first.added == ("a.txt",)
    (data / "b.txt").write_text("b")
    assert store.publish(asset) is not None
    # run_1 retried after the producer moved on: still its own diff; run_2 gets only what came after.
    assert store.diff_for_run("consumer", "run_1", asset) == first
    assert store.diff_for_run("consumer", "run_2", asset).added == ("b.txt",)
    # Two events before the consumer ran again (coalesced): one run sees both changes.
    (data / "c.txt").write_text("c")
    store.publish(asset)
    (data / "d.txt").write_text("d")
    store.publish(asset)
    assert store.diff_for_run("consumer", "run_3", asset).added == ("c.txt", "d.txt")
