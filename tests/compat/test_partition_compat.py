"""Partitioned assets match Airflow 3.3.2: mapper/window/wait-policy/timetable serialization, key mapping, the
errors Airflow raises for bad constructions, timetable summaries (compat-tests/partitions/facts.py on both sides)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COMPAT = Path(__file__).resolve().parents[2] / "compat-tests"
SCRIPT = COMPAT / "partitions" / "facts.py"


@pytest.mark.compat
@pytest.mark.timeout(600)
def test_partition_facts_match_airflow() -> None:
    sys.path.insert(0, str(COMPAT))
    from compat_lib import airflow_output, diff_facts

    airflow = json.loads(airflow_output("partitions", SCRIPT, [], [SCRIPT]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    proc = subprocess.run([sys.executable, str(SCRIPT), "--riir"], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    riir = json.loads(proc.stdout)
    assert len(airflow["mappers"]) == 19 and len(airflow["errors"]) == 8 and len(airflow["timetables"]) == 5
    from riir_airflow.schedules.timetables import _cron_descriptor

    if _cron_descriptor() is None:
        # Cron descriptions need the optional cron-descriptor package (as for every cron timetable, see
        # compat-tests/timetables); without it riir describes a cron schedule by its expression.
        for name in ("cron_partition", "cron_partition_default"):
            airflow["timetables"][name]["description"] = riir["timetables"][name]["description"]
    differences = diff_facts(airflow, riir)
    assert not differences, "\n".join(differences)
