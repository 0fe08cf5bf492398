"""Directory manifests for `DirAsset`s: build, store by content address, diff, and prune.

A manifest is {relpath: {hash, size}} for every file of a directory asset. Manifests are stored once under their
own BLAKE3 id (so an asset event only needs to carry the id), and a per-directory memo of (size, mtime, hash) lets
the next scan skip reading files that did not change. The per-file work (walking, hashing, the memo, storing and
diffing manifests) happens in the Rust core, one call per directory: Python never loops over the files. A directory
asset on an object store is listed and read through fsspec instead (`object_store_manifests`), and its manifest
stored, diffed and pruned the same way.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow._core import read_stored_manifest, snapshot_directory, stored_manifest_diff
from riir_airflow.authoring.dir_asset import DirAsset
from riir_airflow.authoring.object_storage import ObjectStoragePath
from riir_airflow.engine.asset_events import EventToRegister
from riir_airflow.runtime.object_store_manifests import prune_prefix, snapshot_prefix

# Keys of the asset event extra a directory asset's event carries.
MANIFEST_KEY = "riir_manifest"
PREVIOUS_KEY = "riir_previous_manifest"


# How often a directory scan is tried while files vanish under it (see ManifestStore.snapshot).
_SCAN_ATTEMPTS = 8


@dataclass(frozen=True)
class FileRecord:
    """One file of a manifest."""

    hash: str
    size: int


@dataclass(frozen=True)
class Manifest:
    """The files of a directory at one moment, and the content address of that listing."""

    id: str
    files: Mapping[str, FileRecord]


@dataclass(frozen=True)
class ManifestDiff:
    """What changed between two manifests; each list sorted."""

    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def changed(self) -> list[str]:
        """Files whose (new) content downstream work must process: added or modified."""
        return sorted((*self.added, *self.modified))

    def is_empty(self) -> bool:
        return not (self.added or self.modified or self.removed)

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": list(self.added), "modified": list(self.modified), "removed": list(self.removed)}


@dataclass(frozen=True)
class Snapshot:
    """A fresh scan of a directory asset: its manifest's id, how many files it lists and how many had to be read."""

    manifest_id: str
    files: int
    hashed: int


class ManifestStore:
    """Manifests by content address (`objects/ab/abcdef....json`) and scan memos (`memo/<key>.json`) under one
    folder. Writing a manifest twice is harmless: the same id always holds the same bytes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def objects(self) -> Path:
        return self.root / "objects"

    @staticmethod
    def _key(asset: DirAsset) -> str:
        where = str(asset.local_path.resolve()) if asset.is_local else str(asset.path)
        return hashlib.sha256(f"{where}\0{asset.datum_glob}".encode()).hexdigest()[:40]

    def _memo_path(self, asset: DirAsset) -> Path:
        return self.root / "memo" / f"{self._key(asset)}.json"

    def head(self, asset: DirAsset) -> str | None:
        """The manifest of the asset's latest event (what its producer last published), or None."""
        try:
            return (self.root / "heads" / self._key(asset)).read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def publish(self, asset: DirAsset) -> dict[str, Any] | None:
        """A producer's success: scans the directory and, when it changed since the last published manifest,
        makes it the head and returns the event extra (None: unchanged, no event)."""
        snapshot = self.snapshot(asset)
        extra = self.event_extra(snapshot, self.head(asset))
        if extra is not None:
            _write_atomically(self.root / "heads" / self._key(asset), snapshot.manifest_id)
        return extra

    def diff_for_run(self, dag_id: str, run_id: str, asset: DirAsset) -> ManifestDiff:
        """What a consumer DAG's run must process: the change from the manifest its previous run consumed to the
        asset's head. Recorded per run, so a retried or cleared run gets the same answer again (robust to
        retries and clears), and coalesced events are covered since the head is the newest manifest."""
        head = self.head(asset)
        ledger_path = self.root / "consumed" / hashlib.sha256(dag_id.encode()).hexdigest()[:24] / self._key(asset)
        ledger_path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{ledger_path}.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # mapped tries of one run may ask at the same time
            try:
                ledger: list[dict[str, Any]] = json.loads(ledger_path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                ledger = []
            entry = next((e for e in ledger if e["run_id"] == run_id), None)
            if entry is None:
                start = ledger[-1]["to"] if ledger else None
                entry = {"run_id": run_id, "from": start, "to": head}
                ledger.append(entry)
                _write_atomically(ledger_path, json.dumps(ledger))
        if entry["to"] is None:
            return ManifestDiff()
        return self.diff(entry["from"], entry["to"])

    def snapshot(self, asset: DirAsset) -> Snapshot:
        """Scans the asset's directory (reusing the memo), stores the manifest, and refreshes the memo.

        Other tries may be writing into the directory at the same time (mapped tries of one task each put their
        output in place with an atomic rename of a temporary file): a file listed may be gone when it is read. The
        scan then starts again, after a short pause, until the directory holds still."""
        for attempt in range(_SCAN_ATTEMPTS):
            try:
                if asset.is_local:
                    manifest_id, files, hashed = snapshot_directory(
                        asset.local_path, asset.datum_glob, self._memo_path(asset), self.objects
                    )
                else:
                    location = ObjectStoragePath(asset.uri)
                    manifest_id, files, hashed = snapshot_prefix(
                        location, asset.datum_glob, self._memo_path(asset), self.objects, _write_atomically
                    )
                return Snapshot(manifest_id, files, hashed)
            except FileNotFoundError:
                if attempt == _SCAN_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def get(self, manifest_id: str) -> Manifest:
        try:
            stored = read_stored_manifest(self.objects, manifest_id)
        except FileNotFoundError:
            raise FileNotFoundError(f"manifest {manifest_id} is not in the manifest store at {self.root}") from None
        return Manifest(manifest_id, {path: FileRecord(digest, size) for path, (digest, size) in stored.items()})

    def diff(self, old_id: str | None, new_id: str) -> ManifestDiff:
        """What changed from manifest `old_id` (None: nothing seen yet, so every file is added) to `new_id`."""
        try:
            added, modified, removed = stored_manifest_diff(self.objects, old_id, new_id)
        except FileNotFoundError as err:
            raise FileNotFoundError(f"{err} (manifest store at {self.root})") from None
        return ManifestDiff(tuple(added), tuple(modified), tuple(removed))

    def event_extra(self, snapshot: Snapshot, previous_id: str | None) -> dict[str, Any] | None:
        """The extra of the asset event for a producer's new snapshot, or None when the directory did not change
        (then no event is emitted and nothing downstream runs)."""
        if previous_id == snapshot.manifest_id:
            return None
        diff = self.diff(previous_id, snapshot.manifest_id)
        return {MANIFEST_KEY: snapshot.manifest_id, PREVIOUS_KEY: previous_id, **diff.as_dict()}


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def apply_dir_assets(outlets: Iterable[Any], events: list[EventToRegister]) -> list[EventToRegister]:
    """At a producer's success: each directory asset among the outlets is scanned; its event carries the manifest
    and the diff in its extra, or is dropped when the directory did not change (so nothing downstream runs)."""
    dir_assets = {a.uri: a for a in outlets if isinstance(a, DirAsset)}
    if not dir_assets:
        return events
    store = default_store()
    kept: list[EventToRegister] = []
    for event in events:
        asset = dir_assets.get(event.uri)
        if asset is None:
            kept.append(event)
            continue
        extra = store.publish(asset)
        if extra is not None:
            kept.append(dataclasses.replace(event, extra={**event.extra, **extra}))
    return kept


def diff_since_last_consumed(asset: DirAsset) -> ManifestDiff:
    """In a task of a DAG that consumes `asset`: the files added, modified and removed since this DAG's previous
    run consumed it (everything, the first time). The same run asking again gets the same answer."""
    from riir_airflow.authoring.current_context import get_current_context

    context = get_current_context()
    return default_store().diff_for_run(context["dag"].dag_id, context["run_id"], asset)


def default_store() -> ManifestStore:
    """The manifest store named by `[riir] manifest_store` (default `$AIRFLOW_HOME/manifests`). Producers and
    consumers of a directory asset must see the same store: on Kubernetes, a shared volume."""
    from riir_airflow.config import conf

    configured = (conf.get("riir", "manifest_store", fallback="") or "").strip()
    return ManifestStore(Path(configured) if configured else conf.airflow_home / "manifests")


def prune(
    output_dir: str | os.PathLike[str], removed: Iterable[str], output_for: Callable[[str], str] = str
) -> list[Path] | list[ObjectStoragePath]:
    """Deletes the outputs of removed inputs: for every removed input path, `output_dir / output_for(path)` (by
    default the same relative path). Returns what was deleted; outputs already gone are skipped. Paths that would
    leave `output_dir` are refused. `output_dir` may be a prefix on an object store (an `ObjectStoragePath`, an
    `s3://...` string, or a `DirAsset`'s `path`): then the objects are deleted from the store."""
    location = output_dir if isinstance(output_dir, ObjectStoragePath) else ObjectStoragePath(output_dir)
    if location.is_remote:
        return prune_prefix(location, (output_for(relpath) for relpath in removed))
    base = Path(output_dir).resolve()
    deleted: list[Path] = []
    for relpath in removed:
        target = (base / output_for(relpath)).resolve()
        if base not in target.parents:
            raise ValueError(f"prune: {relpath!r} maps outside {base}")
        if target.is_file() or target.is_symlink():
            target.unlink()
            deleted.append(target)
    return deleted
