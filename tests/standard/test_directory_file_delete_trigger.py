"""DirectoryFileDeleteTrigger fires once its file shows up in the directory, deleting it, and leaves siblings' files
alone; the same scenario under Airflow 3.3.2's trigger gives the same event and the same files left."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = """
import asyncio, json, os, sys, threading, time
directory = sys.argv[1]
if sys.argv[2:] == ["--riir"]:
    from riir_airflow import compat
    compat.install()
from airflow.providers.standard.triggers.file import DirectoryFileDeleteTrigger

def drop_files():
    time.sleep(0.3)
    os.makedirs(directory)  # the directory does not exist when the trigger starts
    open(os.path.join(directory, "other.flag"), "w").close()
    time.sleep(0.3)
    open(os.path.join(directory, "mine.flag"), "w").close()

async def first_event():
    trigger = DirectoryFileDeleteTrigger(directory=directory, filename="mine.flag", poke_interval=0.1)
    async for event in trigger.run():
        return trigger, event

threading.Thread(target=drop_files).start()
trigger, event = asyncio.run(asyncio.wait_for(first_event(), 30))
classpath, kwargs = trigger.serialize()
print(json.dumps({
    "payload": event.payload, "kwargs": kwargs, "class": classpath.rsplit(".", 1)[1],
    "left": sorted(os.listdir(directory)),
    "key": [trigger.shared_stream_key()[0], trigger.shared_stream_key()[2]],
}))
"""


def _run(python: str, directory: Path, *extra: str, env: dict[str, str] | None = None) -> dict[str, object]:
    proc = subprocess.run(
        [python, "-c", SCENARIO, str(directory), *extra], capture_output=True, text=True, timeout=120, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_fires_for_its_own_file_and_deletes_it(tmp_path: Path) -> None:
    result = _run(sys.executable, tmp_path / "inbox", "--riir")
    assert result["payload"] == {"filepath": str(tmp_path / "inbox" / "mine.flag")}
    assert result["left"] == ["other.flag"] and result["class"] == "DirectoryFileDeleteTrigger"


@pytest.mark.compat
@pytest.mark.timeout(240)
def test_same_as_airflow(tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "compat-tests"))
    from airflow_env import airflow_env, airflow_python

    riir = _run(sys.executable, tmp_path / "riir" / "inbox", "--riir")
    airflow = _run(str(airflow_python()), tmp_path / "airflow" / "inbox", env=airflow_env(tmp_path / "home"))
    for result, side in ((riir, "riir"), (airflow, "airflow")):
        result["payload"] = json.loads(json.dumps(result["payload"]).replace(str(tmp_path / side), "<tmp>"))
        result["kwargs"] = json.loads(json.dumps(result["kwargs"]).replace(str(tmp_path / side), "<tmp>"))
    assert riir == airflow
