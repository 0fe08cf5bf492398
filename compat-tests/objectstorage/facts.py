"""ObjectStoragePath on local files and the hook lineage collector, under whichever `airflow` is importable (real
Airflow 3.3.2, or riir with --riir). Works in a fresh temporary folder; prints one JSON document whose paths are
relative to it, so both sides must print the same (tests/compat/test_objectstorage_compat.py)."""

from __future__ import annotations

import json
import sys
import tempfile

if sys.argv[1:] == ["--riir"]:
    from riir_airflow import compat

    compat.install()

from airflow.sdk import Asset, ObjectStoragePath
from airflow.sdk.lineage import HookLineageCollector, NoOpCollector, get_hook_lineage_collector


def facts(root: str) -> dict:
    def rel(value: object) -> str:
        return str(value).replace(root, "<tmp>").replace(root.lstrip("/"), "<tmp>")

    base = ObjectStoragePath(f"file://{root}")
    out: dict = {}
    for spelled in (f"file://{root}/a.txt", f"{root}/a.txt", f"file://conn1@{root}/a.txt"):
        p = ObjectStoragePath(spelled)
        out[rel(spelled)] = {
            "str": rel(p), "protocol": p.protocol, "key": rel(p.key), "bucket": p.bucket, "namespace": p.namespace,
            "conn_id": p.conn_id, "path": rel(p.path), "name": p.name, "parent": rel(p.parent), "child": rel(p / "x"),
            "suffix": p.suffix, "stem": p.stem,
        }  # fmt: skip
    a = base / "a.txt"
    a.write_text("hello\n")
    (base / "dir").mkdir()
    (base / "dir" / "b.bin").write_bytes(b"\x00\x01")
    st = a.stat()
    out["stat"] = {"type": type(st).__name__, "size": st.st_size, "keys": sorted(st), "kind": st["type"]}
    out["read"] = [a.read_text(), a.size(), a.exists(), a.is_file(), base.is_dir(), (base / "nope").exists()]
    out["listing"] = sorted(rel(p) for p in base.iterdir())
    out["glob"] = sorted(rel(p) for p in base.glob("**/*.bin"))
    out["equal"] = [a == ObjectStoragePath(f"{root}/a.txt"), a == ObjectStoragePath(f"file://{root}/a.txt")]
    out["samestore"] = [a.samestore(base), a.samestore(ObjectStoragePath(f"file://conn1@{root}"))]
    a.copy(base / "copy.txt")
    (base / "dir").copy(base / "dir2", recursive=True)
    (base / "copy.txt").move(base / "moved.txt")
    out["after_copy_move"] = sorted(rel(p) for p in base.rglob("*"))
    with a.open("rb") as handle:
        out["handle"] = handle.read().decode()
    out["serialized"] = json.loads(rel(json.dumps(a.serialize())))
    back = ObjectStoragePath.deserialize(a.serialize(), 1)
    out["round_trip"] = [rel(back), back == a]
    try:
        ObjectStoragePath.deserialize(a.serialize(), 2)
    except ValueError as exc:
        out["future_version"] = str(exc)

    collector = HookLineageCollector()
    context = object()
    collector.add_input_asset(context=context, uri="s3://bucket/in")
    collector.add_input_asset(context=context, uri="s3://bucket/in")
    collector.add_output_asset(context=context, name="out", asset_extra={"k": 1})
    collector.add_output_asset(context=a, scheme="nope")  # no factory for it: nothing collected
    collector.add_extra(context=context, key="sql", value="SELECT 1")
    collector.add_extra(context=context, key="", value="dropped")
    lineage = collector.collected_assets
    out["lineage"] = {
        "inputs": [[i.asset.name, i.asset.uri, i.count] for i in lineage.inputs],
        "outputs": [[o.asset.name, o.asset.uri, o.asset.extra, o.count] for o in lineage.outputs],
        "extra": [[e.key, e.value, e.count] for e in lineage.extra],
        "has_collected": collector.has_collected,
        "asset_class": type(lineage.inputs[0].asset).__name__,
        "created": collector.create_asset(uri="file:///x") == Asset(uri="file:///x"),
    }
    noop = NoOpCollector()
    noop.add_input_asset(context=context, uri="s3://bucket/in")
    out["noop"] = [noop.has_collected, len(noop.collected_assets.inputs)]
    out["default_collector"] = type(get_hook_lineage_collector()).__name__  # no plugin registers a reader
    return out


with tempfile.TemporaryDirectory(prefix="osp-") as tmp:
    print(json.dumps(facts(tmp), indent=1, sort_keys=True))
