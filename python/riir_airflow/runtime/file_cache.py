"""Per-file memoization: `@task(cache="file")` (or `cache="file"` on any operator).

Each try of such a task is keyed by what decides its output:
- its input files: every argument (template field, so `op_args`/`op_kwargs` of a `@task`) that names a file, by
  content hash; an absolute path, an object store URI (`s3://...`, an `ObjectStoragePath`), or a path relative to
  one of the task's `DirAsset` inlets (local directories or object store prefixes);
- the task's code version: the DAG file's content hash (the DAG version) + the task's own source (the decorated
  function, or the operator's class), so editing the DAG file or a function it imports invalidates the cache;
- its other argument values and the run's params.
The map index, run id and logical date are not part of the key: the same file reaching the task in another run, or
at another map index, is the same work.

On a miss the task runs; when it succeeds, its return value and the output files it names (strings in the return
value that are files, absolute or relative to a `DirAsset` outlet) are recorded, each output's bytes kept under its
hash. On a hit the task does not run: missing or altered outputs are put back from those copies, the recorded return
value is pushed as the XCom, and the try ends `success` with the note "cached: ..." and a `cached` event-log entry
(Airflow has no "cached" state, so clients that only know Airflow's states see an ordinary success).

Entries live in the manifest store (`[riir] manifest_store`, under `cache/` and `blobs/`), next to the manifests:
every process running the tasks (the app's task processes, containers on a shared volume) must see it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riir_airflow.authoring import serde
from riir_airflow.authoring.object_storage import ObjectStoragePath

log = logging.getLogger("airflow.task")

# Every note of a cache hit starts with this, so the UI and clients can tell cached successes apart.
CACHED_NOTE_PREFIX = "cached:"
# Bump when the key's composition changes: old entries then simply stop matching.
KEY_VERSION = 1


@dataclass(frozen=True)
class CacheStatus:
    """How a cached task's try used the cache: `hit` (reused `source`'s output) or a miss (ran, and recorded)."""

    hit: bool
    key: str
    source: Mapping[str, Any]  # dag_id, run_id, task_id, map_index, try_number of the try whose output is reused
    restored: int = 0  # output files put back from the cache's copies

    @property
    def note(self) -> str:
        """The task instance note of a hit (what the UI and the REST API show)."""
        where = f"{self.source.get('run_id')}"
        if int(self.source.get("map_index", -1)) >= 0:
            where += f" [{self.source['map_index']}]"
        restored = f", {self.restored} output file(s) restored" if self.restored else ""
        return f"{CACHED_NOTE_PREFIX} output of {where} reused (key {self.key[:16]}){restored}"

    def as_json(self) -> dict[str, Any]:
        return {"hit": self.hit, "key": self.key, "source": dict(self.source), "restored": self.restored}


# A file the cache reads or writes: local, or an object on a store (read and written through fsspec).
File = Path | ObjectStoragePath


def _file_at(text: str) -> File:
    """The file a recorded path names: an object store URI, or a local path."""
    location = ObjectStoragePath(text)
    return location if location.is_remote else Path(text)


def file_digest(path: File) -> str:
    """The content hash a cache key and an output record use."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dir_asset_paths(assets: Any) -> list[File]:
    from riir_airflow.authoring.dir_asset import DirAsset

    return [asset.path for asset in assets or () if isinstance(asset, DirAsset)]


def _as_file(value: Any, bases: list[File]) -> File | None:
    """The file a string argument names: an absolute path, an object store URI, or a path relative to a directory
    asset; else None."""
    if isinstance(value, ObjectStoragePath) and value.is_remote:
        value = str(value)  # its URI: os.fspath() of a remote path drops the protocol
    if not isinstance(value, (str, os.PathLike)) or not str(value) or "\n" in str(value) or len(str(value)) > 4096:
        return None
    located = ObjectStoragePath(value) if "://" in str(value) else None
    path = Path(value)
    candidates: list[File]
    if located is not None and located.is_remote:
        candidates = [located]
    elif path.is_absolute():
        candidates = [path]
    else:
        candidates = [base / path for base in bases]
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate
        except OSError:
            continue
    return None


def _canonical(value: Any, bases: list[File], where: str) -> Any:
    """A JSON form of an argument in which every file it names is replaced by that file's content hash."""
    file = _as_file(value, bases)
    if file is not None:
        return {"__file__": str(value), "sha256": file_digest(file)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, ObjectStoragePath):
        return str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v, bases, f"{where}[{k!r}]") for k, v in sorted(value.items(), key=str)}
    if isinstance(value, (list, tuple)):
        return [_canonical(v, bases, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(v, bases, where) for v in value), key=json.dumps)
    try:
        form = serde.serialize(value)
        return json.loads(json.dumps(form, sort_keys=True))
    except Exception as exc:
        raise TypeError(f"cache='file': cannot build a cache key from {where} ({type(value).__name__}): {exc}") from exc


def _dag_code_hash(dag: Any) -> str:
    """The DAG version part of the key: the content hash of the DAG file (memoized on the DAG object)."""
    cached = dag.__dict__.get("_riir_code_hash") if dag is not None else None
    if cached is not None:
        return str(cached)
    fileloc = getattr(dag, "fileloc", None)
    try:
        digest = file_digest(Path(fileloc)) if fileloc else ""
    except OSError:
        digest = ""
    if dag is not None:
        dag.__dict__["_riir_code_hash"] = digest
    return digest


def _task_source_hash(task: Any) -> str:
    """The task's own code: its decorated function's source, else its operator class's source."""
    target = getattr(task, "python_callable", None) or type(task)
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        module = inspect.getmodule(target)
        source = f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', repr(target))}"
        file = getattr(module, "__file__", None)
        if file and os.path.isfile(file):
            source += file_digest(Path(file))
    return hashlib.sha256(source.encode()).hexdigest()


def cache_key(task: Any, context: Mapping[str, Any]) -> str:
    """The key of this try: DAG, task, code version, input files by hash, other arguments, params."""
    bases = _dir_asset_paths(task.inlets)
    where = f"task {task.task_id!r}"
    inputs = {
        name: _canonical(getattr(task, name, None), bases, f"{where} argument {name!r}")
        for name in sorted(task.template_fields)
        if hasattr(task, name)
    }
    params = _canonical(dict(context.get("params") or {}), [], f"{where} params")
    material = {
        "v": KEY_VERSION,
        "dag_id": task.dag.dag_id if task.dag is not None else None,
        "task_id": task.task_id,
        "code": [_dag_code_hash(task.dag), _task_source_hash(task)],
        "inputs": inputs,
        "params": params,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, ObjectStoragePath):
        yield str(value)
    elif isinstance(value, (str, os.PathLike)):
        yield os.fspath(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


class FileCache:
    """Entries (`cache/ab/<key>.json`) and output copies by hash (`blobs/ab/<sha256>`) under one folder."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _entry_path(self, key: str) -> Path:
        return self.root / "cache" / key[:2] / f"{key}.json"

    def _blob_path(self, digest: str) -> Path:
        return self.root / "blobs" / digest[:2] / digest

    def lookup(self, key: str) -> dict[str, Any] | None:
        try:
            entry: dict[str, Any] = json.loads(self._entry_path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("Ignoring the unreadable cache entry %s (%s: %s)", key, type(exc).__name__, exc)
            return None
        return entry

    def restore(self, entry: Mapping[str, Any]) -> int | None:
        """Puts back every recorded output that is missing or changed; returns how many, or None when one cannot
        be restored (its copy is gone): then the entry is not usable and the task must run."""
        restored = 0
        for output in entry.get("outputs", ()):
            path, digest = _file_at(str(output["path"])), str(output["sha256"])
            try:
                if path.is_file() and file_digest(path) == digest:
                    continue
            except OSError:
                pass
            blob = self._blob_path(digest)
            if not blob.is_file():
                log.warning("Cache entry %s: the copy of output %s is gone; running the task", entry["key"], path)
                return None
            if isinstance(path, Path):
                path.parent.mkdir(parents=True, exist_ok=True)
            _copy_atomically(blob, path)
            restored += 1
        return restored

    def save(self, key: str, task: Any, result: Any, source: Mapping[str, Any]) -> None:
        """Records a successful try: its return value and the output files it names (with copies by hash)."""
        bases = _dir_asset_paths(task.outlets)
        outputs: list[dict[str, Any]] = []
        seen: set[File] = set()
        for text in _strings(result):
            path = _as_file(text, bases)
            if path is None or path.resolve() in seen:
                continue
            seen.add(path.resolve())
            digest = file_digest(path)
            blob = self._blob_path(digest)
            if not blob.exists():
                blob.parent.mkdir(parents=True, exist_ok=True)
                _copy_atomically(path, blob)
            outputs.append({"path": str(path.resolve()), "sha256": digest})
        entry = {
            "key": key,
            "result": serde.serialize(result),
            "outputs": outputs,
            "source": dict(source),
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
        }
        target = self._entry_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(entry, handle)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _copy_atomically(source: File, target: File) -> None:
    if isinstance(target, ObjectStoragePath):  # an object store's upload replaces the object whole
        target.fs.put_file(os.fspath(source), target.path)
        return
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    try:
        if isinstance(source, ObjectStoragePath):
            source.fs.get_file(source.path, tmp)
        else:
            shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def default_cache() -> FileCache:
    """The cache next to the manifests: `[riir] manifest_store` (default `$AIRFLOW_HOME/manifests`)."""
    from riir_airflow.runtime.manifests import default_store

    return FileCache(default_store().root)


@dataclass
class CachedTry:
    """One try of a `cache="file"` task: its key, and what it found in the cache."""

    cache: FileCache
    key: str
    source: dict[str, Any]  # this try, as a future hit will name it
    entry: dict[str, Any] | None = None
    restored: int = 0

    @classmethod
    def open(cls, task: Any, context: Mapping[str, Any]) -> CachedTry:
        ti = context["ti"]
        source = {
            "dag_id": ti.dag_id,
            "run_id": ti.run_id,
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "try_number": ti.try_number,
        }
        cached = cls(default_cache(), cache_key(task, context), source)
        entry = cached.cache.lookup(cached.key)
        if entry is not None:
            restored = cached.cache.restore(entry)
            if restored is not None:
                cached.entry, cached.restored = entry, restored
        return cached

    @property
    def hit(self) -> bool:
        return self.entry is not None

    def result(self) -> Any:
        assert self.entry is not None
        log.info(
            "Cache hit (key %s): reusing the output of %s; the task is not run", self.key, self.entry.get("source")
        )
        return serde.deserialize(self.entry.get("result"))

    def save(self, task: Any, result: Any) -> None:
        self.cache.save(self.key, task, result, self.source)

    def status(self) -> CacheStatus:
        if self.entry is not None:
            return CacheStatus(True, self.key, dict(self.entry.get("source") or {}), self.restored)
        return CacheStatus(False, self.key, self.source)
