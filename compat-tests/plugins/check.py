"""The same plugins folder and DAG under real Airflow 3.3.2 and riir: `plugins -o json`, the listener hooks `dags
test` calls, the run's XComs (the plugin's macro rendered) and the broken plugin named. Exits 1 on any difference.

    python compat-tests/plugins/check.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from compat_lib import airflow_output, diff_facts  # noqa: E402

SIDES = HERE / "sides.py"
DATA = HERE.parents[1] / "tests" / "plugins" / "data"


def main() -> int:
    airflow = json.loads(airflow_output("plugins", SIDES, ["airflow"], [DATA]))
    proc = subprocess.run([sys.executable, str(SIDES), "riir"], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        print(f"riir side failed:\n{proc.stderr[-3000:]}")
        return 1
    riir = json.loads(proc.stdout)
    lines = diff_facts(airflow, riir)
    for line in lines:
        print(f"  {line}")
    print(f"plugins: {'OK' if not lines else 'MISMATCH'}: {len(lines)} difference(s)")
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
