"""ObjectStoragePath (local files) and the hook lineage collector behave as Airflow 3.3.2's
(compat-tests/objectstorage/facts.py on both sides)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

COMPAT = Path(__file__).resolve().parents[2] / "compat-tests"
SCRIPT = COMPAT / "objectstorage" / "facts.py"


@pytest.mark.compat
@pytest.mark.timeout(600)
def test_object_storage_and_lineage_match_airflow() -> None:
    sys.path.insert(0, str(COMPAT))
    from compat_lib import airflow_output, diff_facts

    airflow = json.loads(airflow_output("objectstorage", SCRIPT, [], [SCRIPT]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--riir"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    riir = json.loads(proc.stdout)
    assert airflow["read"] == ["hello\n", 6, True, True, True, False] and airflow["lineage"]["inputs"]
    differences = diff_facts(airflow, riir)
    assert not differences, "\n".join(differences)


def test_remote_paths_are_named_as_in_airflow_and_refused_on_use() -> None:
    """A DAG file may build an s3:// path at module level (Airflow's tutorial_objectstorage does): it loads, and its
    naming matches Airflow's; reading or writing a path whose protocol has no fsspec filesystem installed fails with
    the path in the message (Airflow without gcsfs fails there too: "Install gcsfs to access Google Storage").
    Reading s3:// paths where s3fs is installed: tests/test_object_store_manifests.py."""
    from riir_airflow.sdk import ObjectStoragePath

    base = ObjectStoragePath("s3://aws_default@airflow-tutorial-data/")
    path = base / "air_quality" / "x.parquet"
    assert (str(base), base.path, base.bucket, base.key, base.conn_id) == (
        "s3://aws_default@airflow-tutorial-data/", "airflow-tutorial-data/", "airflow-tutorial-data", "", "aws_default"
    )  # fmt: skip
    assert (str(path), path.path, path.key, path.name) == (
        "s3://aws_default@airflow-tutorial-data/air_quality/x.parquet",
        "airflow-tutorial-data/air_quality/x.parquet",
        "air_quality/x.parquet",
        "x.parquet",
    )
    with pytest.raises(ImportError, match=re.escape("gs://bucket/x.parquet: no fsspec")):
        ObjectStoragePath("gs://bucket/x.parquet").read_text()
