"""Directory assets on an object store (`DirAsset("s3://bucket/prefix")`) against a real S3 server (moto's server
mode): listing, content ids (S3's SHA-256 where the writer asked for it, else BLAKE3), the memo, diffs, prune, and
`cache="file"` keyed by objects."""

from __future__ import annotations

import hashlib
import json
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from riir_airflow.authoring.object_storage import ObjectStoragePath
from riir_airflow.dag_processing.loader import DagBag
from riir_airflow.dir_assets import DirAsset, ManifestStore, prune
from riir_airflow.runtime.file_cache import CACHED_NOTE_PREFIX
from tests.s3_server import S3Server

pytestmark = pytest.mark.timeout(120)

FILES = {"a.csv": b"1,2\n", "sub/b.csv": b"3,4\n", "sub/deep/c.txt": b"note\n"}


def put(server: S3Server, key: str, body: bytes, **kwargs: str) -> None:
    server.client().put_object(Bucket=server.bucket, Key=key, Body=body, **kwargs)


def test_a_prefix_has_the_manifest_of_the_same_local_directory(s3_server: S3Server, tmp_path: Path) -> None:
    local = tmp_path / "local"
    for rel, body in FILES.items():
        put(s3_server, f"raw/{rel}", body)
        (local / rel).parent.mkdir(parents=True, exist_ok=True)
        (local / rel).write_bytes(body)
    put(s3_server, "rawer/a.csv", b"a neighbouring prefix is not part of raw/")
    store = ManifestStore(tmp_path / "store")
    remote = DirAsset(s3_server.uri("raw"))
    assert isinstance(remote.path, ObjectStoragePath) and not remote.is_local

    snapshot = store.snapshot(remote)
    # Same files, same BLAKE3 hashes, same canonical bytes: the same content address as the local directory's.
    assert snapshot.manifest_id == store.snapshot(DirAsset(str(local))).manifest_id
    assert (snapshot.files, snapshot.hashed) == (3, 3)
    assert sorted(store.get(snapshot.manifest_id).files) == sorted(FILES)
    # The datum glob selects objects as it selects files.
    csv = store.snapshot(DirAsset(s3_server.uri("raw"), datum_glob="/**/*.csv"))
    assert sorted(store.get(csv.manifest_id).files) == ["a.csv", "sub/b.csv"]


def test_the_memo_skips_unchanged_objects_and_diffs_name_the_changes(s3_server: S3Server, tmp_path: Path) -> None:
    for rel, body in FILES.items():
        put(s3_server, f"raw/{rel}", body)
    store, asset = ManifestStore(tmp_path / "store"), DirAsset(s3_server.uri("raw"))
    first = store.publish(asset)
    assert first is not None and first["added"] == sorted(FILES)
    assert store.publish(asset) is None  # nothing changed: no event
    again = store.snapshot(asset)
    assert again.hashed == 0  # size + ETag + last-modified unchanged: no object read

    put(s3_server, "raw/sub/b.csv", b"changed\n")
    put(s3_server, "raw/new.csv", b"new\n")
    s3_server.client().delete_object(Bucket=s3_server.bucket, Key="raw/a.csv")
    changed = store.publish(asset)
    assert changed is not None
    assert (changed["added"], changed["modified"], changed["removed"]) == (["new.csv"], ["sub/b.csv"], ["a.csv"])
    assert store.snapshot(asset).hashed == 0

    # Rewriting an object with the same bytes (a later second: S3 times are in seconds) reads it again, since its
    # last-modified time changed, but is no change.
    time.sleep(1.1)
    put(s3_server, "raw/new.csv", b"new\n")
    assert store.snapshot(asset).hashed == 1
    assert store.publish(asset) is None


def test_a_sha256_checksum_is_the_content_id_and_an_etag_is_not(s3_server: S3Server, tmp_path: Path) -> None:
    put(s3_server, "raw/checked.bin", b"payload", ChecksumAlgorithm="SHA256")
    put(s3_server, "raw/plain.bin", b"payload")  # botocore adds a CRC32 by default: not a content id either
    store, asset = ManifestStore(tmp_path / "store"), DirAsset(s3_server.uri("raw"))
    files = store.get(store.snapshot(asset).manifest_id).files
    assert files["checked.bin"].hash == "sha256:" + hashlib.sha256(b"payload").hexdigest()
    local = tmp_path / "plain"
    local.mkdir()
    (local / "plain.bin").write_bytes(b"payload")
    local_files = store.get(store.snapshot(DirAsset(str(local))).manifest_id).files
    assert files["plain.bin"].hash == local_files["plain.bin"].hash  # BLAKE3 of the bytes, as a local file's
    assert files["plain.bin"].size == 7


def test_prune_deletes_objects_and_refuses_paths_out_of_the_prefix(s3_server: S3Server) -> None:
    for rel in ("keep.txt", "gone.txt", "sub/gone.txt"):
        put(s3_server, f"out/{rel}", b"x")
    out = DirAsset(s3_server.uri("out"))
    deleted = prune(out.path, ["gone.txt", "sub/gone.txt", "never-there.txt"])
    assert sorted(str(p) for p in deleted) == [s3_server.uri("out/gone.txt"), s3_server.uri("out/sub/gone.txt")]
    listed = s3_server.client().list_objects_v2(Bucket=s3_server.bucket, Prefix="out/")["Contents"]
    assert [o["Key"] for o in listed] == ["out/keep.txt"]
    with pytest.raises(ValueError, match="maps outside"):
        prune(s3_server.uri("out"), ["../keep.txt"])


def test_a_missing_bucket_is_a_clear_error_and_an_empty_prefix_an_empty_manifest(
    s3_server: S3Server, tmp_path: Path
) -> None:
    store = ManifestStore(tmp_path / "store")
    with pytest.raises(FileNotFoundError, match="the bucket 'no-such-bucket' does not exist"):
        store.snapshot(DirAsset("s3://no-such-bucket/raw"))
    empty = store.snapshot(DirAsset(s3_server.uri("nothing-yet")))
    assert (empty.files, store.get(empty.manifest_id).files) == (0, {})


def test_an_object_store_path_reads_writes_and_lists(s3_server: S3Server) -> None:
    root = ObjectStoragePath(s3_server.uri("p"))
    (root / "x" / "a.txt").write_text("hello")
    assert (root / "x" / "a.txt").read_text() == "hello"
    assert (root / "x" / "a.txt").is_file() and (root / "x").is_dir() and (root / "x" / "a.txt").size() == 5
    assert [str(p) for p in (root / "x").iterdir()] == [s3_server.uri("p/x/a.txt")]
    assert [p.name for p in root.rglob("*.txt")] == ["a.txt"]
    (root / "x" / "a.txt").unlink()
    assert not (root / "x" / "a.txt").exists()
    with pytest.raises(FileNotFoundError):
        (root / "x" / "a.txt").unlink()


def test_copy_and_move_between_the_disk_and_stores_as_airflow(s3_server: S3Server, tmp_path: Path) -> None:
    root = ObjectStoragePath(s3_server.uri("cp"))
    local = ObjectStoragePath(f"file://{tmp_path}/src.txt")
    local.write_text("line one\nline two\nline three\n")
    local.copy(root / "a.txt")  # disk -> store (put)
    assert (root / "a.txt").read_text() == local.read_text()
    (root / "a.txt").copy(root / "b.txt")  # within the store (the store copies)
    (root / "b.txt").copy(ObjectStoragePath(f"file://{tmp_path}/back.txt"))  # store -> disk (get)
    assert (tmp_path / "back.txt").read_text() == local.read_text()
    (root / "b.txt").move(ObjectStoragePath(f"file://{tmp_path}/moved.txt"))  # another store: copy, then delete
    assert not (root / "b.txt").exists() and (tmp_path / "moved.txt").read_text() == local.read_text()
    (root / "a.txt").move(root / "sub" / "c.txt")
    assert [p.name for p in root.rglob("*.txt")] == ["c.txt"]
    # A block widened to line boundaries, read from the store.
    assert (root / "sub" / "c.txt").read_block(3, 6, delimiter=b"\n") == b"line two\n"
    # S3 signs a temporary URL for the object (an unsigned local path cannot).
    url = (root / "sub" / "c.txt").sign(expiration=60)
    assert "Signature=" in url and "cp/sub/c.txt" in url
    assert httpx.get(url).text == local.read_text()  # anyone holding the URL can read the object, until it expires
    with pytest.raises(NotImplementedError, match="Sign is not implemented for this filesystem"):
        local.sign()


CACHED_DAG = """
import pendulum

from riir_airflow.dir_assets import DirAsset
from riir_airflow.sdk import DAG, task

SRC = DirAsset({src!r})
OUT = DirAsset({out!r})

with DAG("cached_s3", schedule=None, start_date=pendulum.datetime(2024, 1, 1, tz="UTC")):

    @task
    def files() -> list[str]:
        return sorted(p.name for p in SRC.path.iterdir())

    @task(cache="file", inlets=[SRC], outlets=[OUT])
    def transform(rel: str) -> str:
        with open({calls!r}, "a") as log:
            log.write(rel + "\\n")
        (OUT.path / rel).write_text((SRC.path / rel).read_text().upper())
        return rel

    transform.expand(rel=files())
"""


def test_cache_file_keys_tries_by_the_objects_they_read(
    s3_server: S3Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__RIIR__MANIFEST_STORE", str(tmp_path / "store"))
    for name in ("a", "b", "c"):
        put(s3_server, f"src/{name}.txt", f"{name}\n".encode())
    calls, dag_file = tmp_path / "calls.log", tmp_path / "dags" / "cached_s3.py"
    dag_file.parent.mkdir()
    source = CACHED_DAG.format(src=s3_server.uri("src"), out=s3_server.uri("out"), calls=str(calls))
    dag_file.write_text(textwrap.dedent(source))

    def run() -> tuple[list[str], list[int]]:
        calls.write_text("")
        bag = DagBag(str(dag_file), include_examples=False)
        assert not bag.import_errors, bag.import_errors
        result = bag.dags["cached_s3"].test()
        assert result.state == "success"
        cached = [
            r.map_index
            for r in result.task_instances()
            if r.task_id == "transform" and (r.note or "").startswith(CACHED_NOTE_PREFIX)
        ]
        return sorted(calls.read_text().split()), cached

    assert run() == (["a.txt", "b.txt", "c.txt"], [])
    assert run() == ([], [0, 1, 2])  # every object seen before: nothing runs
    put(s3_server, "src/b.txt", b"changed\n")
    assert run() == (["b.txt"], [0, 2])  # only the changed object's try runs
    out = ObjectStoragePath(s3_server.uri("out"))
    assert (out / "b.txt").read_text() == "CHANGED\n"
    # A hit puts a deleted output object back from the cache's copy.
    s3_server.client().delete_object(Bucket=s3_server.bucket, Key="out/a.txt")
    assert run() == ([], [0, 1, 2])
    assert (out / "a.txt").read_text() == "A\n"


def test_a_connection_in_the_path_configures_the_s3_filesystem(
    s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No endpoint or credentials in the environment: only the connection says where the store is.
    for name in s3_server.env:
        monkeypatch.delenv(name)
    extra = {"endpoint_url": s3_server.endpoint, "region_name": "us-east-1"}
    conn = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
    monkeypatch.setenv("AIRFLOW_CONN_LOCAL_S3", json.dumps(conn))
    path = ObjectStoragePath(f"s3://local_s3@{s3_server.bucket}/via-conn/a.txt")
    path.write_text("through the connection")
    assert body_of(s3_server, "via-conn/a.txt") == "through the connection"
    assert path.read_text() == "through the connection"
    with pytest.raises(ValueError, match="only s3:// paths read their connection"):
        ObjectStoragePath("gs://some_conn@bucket/x").read_text()


def body_of(server: S3Server, key: str) -> str:
    return str(server.client().get_object(Bucket=server.bucket, Key=key)["Body"].read().decode())
