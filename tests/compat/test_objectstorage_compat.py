"""ObjectStoragePath (local files) and the hook lineage collector behave as Airflow 3.3.2's
(compat-tests/objectstorage/facts.py on both sides)."""

from __future__ import annotations

import json
import os
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


def test_remote_protocols_are_refused_with_a_clear_message() -> None:
    from riir_airflow.sdk import ObjectStoragePath

    with pytest.raises(ValueError, match="protocol 's3' is not supported by riir-airflow"):
        ObjectStoragePath("s3://bucket/key")
