"""Directory manifests: scanning with a memo, content-addressed storage, diffs, event extras and pruning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from riir_airflow.authoring.dir_asset import DirAsset
from riir_airflow.runtime.manifests import MANIFEST_KEY, PREVIOUS_KEY, ManifestDiff, ManifestStore, prune


def make_files(root: Path, count: int) -> None:
    for i in range(count):
        sub = root / f"part{i % 10}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"file{i:05d}.txt").write_text(f"content {i}\n")


def touch_later(path: Path, text: str) -> None:
    """Rewrites a file and moves its mtime forward, so a change within the clock's resolution is still seen."""
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def test_unchanged_directory_emits_no_event_and_reads_no_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_files(data, 200)
    store = ManifestStore(tmp_path / "store")
    asset = DirAsset(str(data))

    first = store.snapshot(asset)
    assert first.hashed == 200 and first.files == 200
    extra = store.event_extra(first, None)
    assert extra is not None
    assert extra[MANIFEST_KEY] == first.manifest_id and extra[PREVIOUS_KEY] is None
    assert len(extra["added"]) == 200 and extra["modified"] == [] and extra["removed"] == []

    again = store.snapshot(asset)
    assert again.hashed == 0  # every file reused its memo entry
    assert again.manifest_id == first.manifest_id
    assert store.event_extra(again, first.manifest_id) is None


def test_exactly_the_changed_files_are_reported(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_files(data, 500)
    store = ManifestStore(tmp_path / "store")
    asset = DirAsset(f"file://{data}")
    before = store.snapshot(asset)

    changed = sorted(data.glob("part3/*.txt"))[:7]
    for path in changed:
        touch_later(path, "new content\n")
    (data / "part1" / "file00001.txt").unlink()
    (data / "part2" / "file00002.txt").unlink()
    (data / "fresh.txt").write_text("fresh\n")

    after = store.snapshot(asset)
    assert after.hashed == 8  # the 7 rewritten files and the new one; nothing else is read
    extra = store.event_extra(after, before.manifest_id)
    assert extra is not None
    assert extra["modified"] == sorted(str(p.relative_to(data)) for p in changed)
    assert extra["removed"] == ["part1/file00001.txt", "part2/file00002.txt"]
    assert extra["added"] == ["fresh.txt"]
    diff = store.diff(before.manifest_id, after.manifest_id)
    assert diff == ManifestDiff(tuple(extra["added"]), tuple(extra["modified"]), tuple(extra["removed"]))
    assert diff.changed == sorted([*extra["added"], *extra["modified"]])


def test_rewriting_a_file_with_the_same_bytes_is_not_a_change(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_files(data, 5)
    store = ManifestStore(tmp_path / "store")
    asset = DirAsset(str(data))
    before = store.snapshot(asset)
    target = data / "part0" / "file00000.txt"
    touch_later(target, target.read_text())
    after = store.snapshot(asset)
    assert after.hashed == 1  # the mtime moved, so it is read again ...
    assert after.manifest_id == before.manifest_id  # ... but its content, and so the manifest, is the same
    assert store.event_extra(after, before.manifest_id) is None


def test_datum_glob_limits_the_manifest(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.csv").write_text("1")
    (data / "sub" / "b.csv").write_text("2")
    (data / "sub" / "notes.txt").write_text("3")
    store = ManifestStore(tmp_path / "store")
    top = store.snapshot(DirAsset(str(data), "/*.csv"))
    assert sorted(store.get(top.manifest_id).files) == ["a.csv"]
    deep = store.snapshot(DirAsset(str(data), "/**/*.csv"))
    assert sorted(store.get(deep.manifest_id).files) == ["a.csv", "sub/b.csv"]
    assert DirAsset(str(data), "/*.csv") != DirAsset(str(data), "/**")


def test_manifests_are_content_addressed_and_shared(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    make_files(one, 20)
    make_files(two, 20)
    store = ManifestStore(tmp_path / "store")
    first = store.snapshot(DirAsset(str(one)))
    second = store.snapshot(DirAsset(str(two)))
    assert first.manifest_id == second.manifest_id  # same relative paths and bytes: the same manifest
    assert len(list((tmp_path / "store" / "objects").rglob("*.json"))) == 1
    stored = store.get(first.manifest_id).files
    assert len(stored) == 20 and stored["part0/file00000.txt"].size == len("content 0\n")


def test_bad_input_gets_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r'Invalid datum_glob "/\[": unclosed character class'):
        DirAsset(str(tmp_path), "/[")
    with pytest.raises(ValueError, match="is on an object store, not a local directory"):
        _ = DirAsset("s3://bucket/prefix").local_path
    store = ManifestStore(tmp_path / "store")
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "missing")):
        store.snapshot(DirAsset(str(tmp_path / "missing")))
    with pytest.raises(FileNotFoundError, match="is not in the manifest store"):
        store.get("0" * 64)
    with pytest.raises(ValueError, match="not a manifest id"):
        store.get("../../etc/passwd")


def test_a_damaged_memo_only_costs_a_rehash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    make_files(data, 10)
    store = ManifestStore(tmp_path / "store")
    asset = DirAsset(str(data))
    first = store.snapshot(asset)
    for memo in (tmp_path / "store" / "memo").glob("*.json"):
        memo.write_text("{not json")
    again = store.snapshot(asset)
    assert again.hashed == 10 and again.manifest_id == first.manifest_id


def test_prune_removes_outputs_of_removed_inputs_only(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "d").mkdir(parents=True)
    for name in ("a.json", "b.json", "d/c.json"):
        (out / name).write_text("{}")
    deleted = prune(out, ["a.txt", "d/c.txt", "never-made.txt"], lambda rel: rel.rsplit(".", 1)[0] + ".json")
    assert sorted(p.name for p in deleted) == ["a.json", "c.json"]
    assert (out / "b.json").exists()
    with pytest.raises(ValueError, match="maps outside"):
        prune(out, ["../../etc/passwd"])
