"""Manifests of directory assets on an object store (`DirAsset("s3://bucket/prefix")`), through fsspec.

The objects under the prefix are the asset's files; their keys relative to the prefix are the manifest's paths, so a
manifest reads (and diffs) exactly as a local directory's. Each object's content id is chosen so that equal ids mean
equal bytes:

- an S3 `ChecksumSHA256` of the whole object (the writer asked for SHA-256; read with a HEAD only when the listing
  says the object has one), stored as `sha256:<hex>`;
- otherwise the BLAKE3 hash of the content (read from the store), as for local files.

An ETag is *not* used as a content id: a multipart upload's ETag is no content hash at all, and a single-part ETag is
an MD5, for which colliding contents can be made on purpose. Since the id also keys the per-file cache
(`cache="file"`), a crafted collision would hand one input another input's output. ETags do serve as change
detectors: the memo reuses an object's id while its size, ETag and last-modified time (or whatever version facts
the filesystem lists) are unchanged, like the local scan's size + mtime memo, so an unchanged object is not read
again.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow._core import ContentHasher, select_datums, store_listed_manifest
from riir_airflow.authoring.object_storage import ObjectStoragePath

log = logging.getLogger(__name__)

# Listing fields that change when an object is rewritten (fsspec implementations spell them differently).
_VERSION_FIELDS = ("ETag", "etag", "VersionId", "version_id", "generation", "LastModified", "last_modified", "mtime",
                   "updated", "md5Hash", "crc32c", "content_md5")  # fmt: skip
# Objects read whole in one request when hashing; larger ones are streamed in chunks of this size.
_CHUNK = 8 << 20
# Objects hashed at the same time (each a GET on the store).
_PARALLEL_READS = 16


@dataclass(frozen=True)
class ListedObject:
    """One object under the prefix, as the store listed it."""

    relpath: str
    fs_path: str  # `bucket/key`, what the fsspec filesystem takes
    size: int
    version: str  # the change-detecting facts; "" when the store lists none (then the memo is not used)
    sha256_listed: bool  # S3 says the object carries a SHA-256 checksum


def _version(info: Mapping[str, Any]) -> str:
    return "|".join(f"{field}={info[field]}" for field in _VERSION_FIELDS if info.get(field) not in (None, ""))


def list_objects(location: ObjectStoragePath, datum_glob: str) -> list[ListedObject]:
    """Every object under `location` (a prefix) that `datum_glob` selects, sorted by relative path."""
    fs = location.fs
    base = location.path.rstrip("/")
    fs.invalidate_cache(base)  # a listing cached by an earlier call in this process would hide new objects
    try:
        found: dict[str, dict[str, Any]] = fs.find(base, detail=True)
    except FileNotFoundError:
        found = {}
    if not found and not fs.exists(base):
        # An empty prefix exists on S3 only while it holds objects: only a missing bucket is an error.
        bucket = base.split("/", 1)[0]
        if not fs.exists(bucket):
            raise FileNotFoundError(f"{location}: the bucket {bucket!r} does not exist")
    by_relpath: dict[str, tuple[str, dict[str, Any]]] = {}
    for fs_path, info in found.items():
        if info.get("type") != "file" or not fs_path.startswith(base + "/"):
            continue
        by_relpath[fs_path[len(base) + 1 :]] = (fs_path, info)
    selected = select_datums(datum_glob, sorted(by_relpath))
    objects = []
    for relpath in selected:
        fs_path, info = by_relpath[relpath]
        algorithms = info.get("ChecksumAlgorithm") or ()
        objects.append(
            ListedObject(relpath, fs_path, int(info.get("size") or 0), _version(info), "SHA256" in algorithms)
        )
    return objects


def _s3_full_object_sha256(fs: Any, fs_path: str) -> str | None:
    """The object's SHA-256 checksum as hex when S3 has one of the whole object (not a multipart upload's
    checksum of part checksums), else None."""
    bucket, _, key = fs_path.partition("/")
    head = fs.call_s3("head_object", Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    value = head.get("ChecksumSHA256")
    if not value or "-" in value or head.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
        return None
    return base64.b64decode(value).hex()


def _blake3(fs: Any, obj: ListedObject) -> str:
    hasher = ContentHasher()
    if obj.size <= _CHUNK:
        hasher.update(fs.cat_file(obj.fs_path))
    else:
        with fs.open(obj.fs_path, "rb", block_size=_CHUNK) as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
    return hasher.hexdigest()


def content_id(location: ObjectStoragePath, obj: ListedObject) -> str:
    """The object's content id: S3's SHA-256 of the whole object where it has one, else BLAKE3 of its bytes."""
    fs = location.fs
    if obj.sha256_listed and location.protocol in ("s3", "s3a"):
        digest = _s3_full_object_sha256(fs, obj.fs_path)
        if digest is not None:
            return f"sha256:{digest}"
    return _blake3(fs, obj)


def _load_memo(path: Path) -> dict[str, list[Any]]:
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a missing or damaged memo only costs reading the objects again
    return memo if isinstance(memo, dict) else {}


def snapshot_prefix(
    location: ObjectStoragePath, datum_glob: str, memo_path: Path, objects_dir: Path, write: Any
) -> tuple[str, int, int]:
    """Lists the prefix, hashes the objects the memo does not know, stores the manifest under `objects_dir` and
    refreshes the memo (written with `write(path, text)`). Returns (manifest id, objects listed, objects read)."""
    listed = list_objects(location, datum_glob)
    memo = _load_memo(memo_path)

    def known(obj: ListedObject) -> str | None:
        entry = memo.get(obj.relpath)
        if obj.version and isinstance(entry, list) and len(entry) == 3 and entry[:2] == [obj.size, obj.version]:
            return str(entry[2])
        return None

    hashes = {obj.relpath: known(obj) for obj in listed}
    missing = [obj for obj in listed if hashes[obj.relpath] is None]
    if missing:
        location.fs  # noqa: B018 - build the filesystem once, before the threads share it
        with ThreadPoolExecutor(min(_PARALLEL_READS, len(missing))) as pool:
            for obj, digest in zip(missing, pool.map(lambda o: content_id(location, o), missing), strict=True):
                hashes[obj.relpath] = digest
    files = [(obj.relpath, str(hashes[obj.relpath]), obj.size) for obj in listed]
    manifest_id = store_listed_manifest(objects_dir, files)
    write(memo_path, json.dumps({obj.relpath: [obj.size, obj.version, hashes[obj.relpath]] for obj in listed}))
    return manifest_id, len(listed), len(missing)


def prune_prefix(location: ObjectStoragePath, relpaths: Iterable[str]) -> list[ObjectStoragePath]:
    """Deletes the objects `location / relpath` that exist; returns them. Paths that leave the prefix are refused."""
    fs = location.fs
    base = location.path.rstrip("/")
    deleted = []
    for relpath in relpaths:
        parts = [part for part in relpath.split("/") if part not in ("", ".")]
        if not parts or ".." in parts:
            raise ValueError(f"prune: {relpath!r} maps outside {location}")
        target = f"{base}/{'/'.join(parts)}"
        if fs.isfile(target):
            fs.rm_file(target)
            deleted.append(location / "/".join(parts))
    return deleted
