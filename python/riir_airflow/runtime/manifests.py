"""Directory manifests for `DirAsset`s: build, store by content address, diff, and prune.

A manifest is {relpath: {hash, size}} for every file of a directory asset. Manifests are stored once under their
own BLAKE3 id (so an asset event only needs to carry the id), and a per-directory memo of (size, mtime, hash) lets
the next scan skip reading files that did not change. Scanning and hashing happen in the Rust core in one call.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow._core import manifest_diff, scan_directory
from riir_airflow._internal.dir_asset import DirAsset

# Keys of the asset event extra a directory asset's event carries.
MANIFEST_KEY = "riir_manifest"
PREVIOUS_KEY = "riir_previous_manifest"


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

    @classmethod
    def from_canonical(cls, manifest_id: str, canonical: str) -> Manifest:
        raw: dict[str, dict[str, Any]] = json.loads(canonical)
        return cls(manifest_id, {path: FileRecord(str(v["hash"]), int(v["size"])) for path, v in raw.items()})

    def hashes(self) -> dict[str, str]:
        return {path: record.hash for path, record in self.files.items()}


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

    @classmethod
    def between(cls, old: Manifest | None, new: Manifest) -> ManifestDiff:
        added, modified, removed = manifest_diff(old.hashes() if old else {}, new.hashes())
        return cls(tuple(added), tuple(modified), tuple(removed))


@dataclass(frozen=True)
class Snapshot:
    """A fresh scan of a directory asset: its manifest and how many files had to be read to make it."""

    manifest: Manifest
    hashed: int


def _write_atomically(path: Path, text: str) -> None:
    """Writes a file so that readers see either the old content or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ManifestStore:
    """Manifests by content address (`objects/ab/abcdef....json`) and scan memos (`memo/<key>.json`) under one
    folder. Writing a manifest twice is harmless: the same id always holds the same bytes."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _object_path(self, manifest_id: str) -> Path:
        if len(manifest_id) != 64 or any(c not in "0123456789abcdef" for c in manifest_id):
            raise ValueError(f"not a manifest id: {manifest_id!r}")
        return self.root / "objects" / manifest_id[:2] / f"{manifest_id}.json"

    def _memo_path(self, asset: DirAsset) -> Path:
        key = hashlib.sha256(f"{asset.path.resolve()}\0{asset.datum_glob}".encode()).hexdigest()[:40]
        return self.root / "memo" / f"{key}.json"

    def _load_memo(self, asset: DirAsset) -> dict[str, tuple[int, int, str]]:
        path = self._memo_path(asset)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # A damaged memo only costs a full re-hash; the manifest itself never depends on it.
            return {}
        return {rel: (int(v[0]), int(v[1]), str(v[2])) for rel, v in raw.items()}

    def snapshot(self, asset: DirAsset) -> Snapshot:
        """Scans the asset's directory (reusing the memo), stores the manifest, and refreshes the memo."""
        files, hashed, canonical, manifest_id = scan_directory(asset.path, asset.datum_glob, self._load_memo(asset))
        target = self._object_path(manifest_id)
        if not target.exists():
            _write_atomically(target, canonical)
        memo = {rel: [size, mtime_ns, digest] for rel, size, mtime_ns, digest in files}
        _write_atomically(self._memo_path(asset), json.dumps(memo, separators=(",", ":")))
        return Snapshot(Manifest.from_canonical(manifest_id, canonical), hashed)

    def get(self, manifest_id: str) -> Manifest:
        path = self._object_path(manifest_id)
        try:
            return Manifest.from_canonical(manifest_id, path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"manifest {manifest_id} is not in the manifest store at {self.root}") from None

    def event_extra(self, snapshot: Snapshot, previous_id: str | None) -> dict[str, Any] | None:
        """The extra of the asset event for a producer's new snapshot, or None when the directory did not change
        (then no event is emitted and nothing downstream runs)."""
        if previous_id == snapshot.manifest.id:
            return None
        diff = ManifestDiff.between(self.get(previous_id) if previous_id else None, snapshot.manifest)
        return {MANIFEST_KEY: snapshot.manifest.id, PREVIOUS_KEY: previous_id, **diff.as_dict()}

    def diff(self, old_id: str | None, new_id: str) -> ManifestDiff:
        """What changed from manifest `old_id` (None: nothing seen yet, so every file is added) to `new_id`."""
        return ManifestDiff.between(self.get(old_id) if old_id else None, self.get(new_id))


def prune(
    output_dir: str | os.PathLike[str], removed: Iterable[str], output_for: Callable[[str], str] = str
) -> list[Path]:
    """Deletes the outputs of removed inputs: for every removed input path, `output_dir / output_for(path)` (by
    default the same relative path). Returns what was deleted; outputs already gone are skipped. Paths that would
    leave `output_dir` are refused."""
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
