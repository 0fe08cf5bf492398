"""How long an app forked from standalone's zygote waits for a new template: request to "ready", for a one-task DAG.

    python benchmarks/zygote_template.py [--repeat 20] [--burst 200]

Starts a zygote (cli/zygote.py) and has it fork a process, as it forks an app; in that process `--repeat` times,
alternated: a template forked by the zygote (`request_template`: a fork of the preloaded zygote that imports the
DAG file) and one exec'd (`ForkServer.start`: a new interpreter, what an app not forked from the zygote does), each
timed from the request to its "ready" and closed. Prints min / median / max of both in milliseconds, their memory
when ready (PSS, private dirty: the zygote's template shares riir with the zygote and its apps), and the load.
With `--burst N`, N processes forked from the zygote then ask for a template at the same instant (200 apps whose
DAGs are due in the same second): the time from that instant to the zygote's reply and to "ready", median and max.
The processes playing apps are `riir-airflow dags report` on a file whose top-level code does the timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DAG = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("one_task", schedule=None):
    EmptyOperator(task_id="only")
"""

ALTERNATED = """
# Not a DAG file: `riir-airflow dags report` imports it in a process forked from the zygote (airflow benchmark).
import json
import os
import time

from riir_airflow.app.fork_server import ForkServer
from riir_airflow.cli.zygote import request_template


def memory_mb(pid):
    lines = open(f"/proc/{pid}/smaps_rollup").read().splitlines()[1:]
    fields = {name: int(value.split()[0]) for name, _, value in (line.partition(":") for line in lines)}
    return [fields["Pss"] / 1024, fields["Private_Dirty"] / 1024]


path, repeat = os.environ["TEMPLATE_DAG"], int(os.environ["TEMPLATE_REPEAT"])
timings = {"zygote": [], "exec": []}
memory = {"zygote": [], "exec": []}
for _ in range(repeat):
    for kind, start in (("zygote", request_template), ("exec", ForkServer.start)):
        started = time.perf_counter()
        server = start(path)
        server.wait_ready(120)
        timings[kind].append((time.perf_counter() - started) * 1000)
        memory[kind].append(memory_mb(server.pid))
        server.close()
print("RESULT " + json.dumps({"timings": timings, "memory": memory}), flush=True)
"""

BURST = """
# Not a DAG file: `riir-airflow dags report` imports it in a process forked from the zygote (airflow benchmark).
import json
import os
import time

from riir_airflow.cli.zygote import request_template

at = float(os.environ["TEMPLATE_AT"])
time.sleep(max(0.0, at - time.time()))
server = request_template(os.environ["TEMPLATE_DAG"])
replied = time.time() - at
server.wait_ready(120)
print("RESULT " + json.dumps({"reply": replied * 1000, "ready": (time.time() - at) * 1000}), flush=True)
server.close()
"""


async def run_in_apps(timer: str, count: int, extra_env: dict[str, str]) -> list[dict[str, Any]]:
    """`count` processes forked from one zygote, each importing `timer`; the RESULT line each printed."""
    from riir_airflow.cli.zygote import Zygote

    with tempfile.TemporaryDirectory(prefix="zygote-template-") as folder:
        dag, timer_file = Path(folder) / "one_task.py", Path(folder) / "timer.py"
        dag.write_text(DAG)
        timer_file.write_text(timer)
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")},
            "AIRFLOW_HOME": folder,
            "RIIR_AIRFLOW_COMPAT": "1",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "600",
            "TEMPLATE_DAG": str(dag),
            **extra_env,
        }
        zygote = Zygote(env, print)
        try:
            await zygote.start()
            if "TEMPLATE_AT" in env:  # all ask at one instant, once all are forked (~50 ms each at most)
                env["TEMPLATE_AT"] = str(time.time() + 3 + count * 0.05)
            apps = [await zygote.spawn_app(["dags", "report", "--subdir", str(timer_file)], env) for _ in range(count)]
            outputs = []
            for app in apps:
                assert app.stdout is not None
                outputs.append((await app.stdout.read()).decode())
                if await app.wait() != 0:
                    raise SystemExit(outputs[-1])
        finally:
            await zygote.close()
    results = [json.loads(line[len("RESULT ") :]) for out in outputs for line in out.splitlines() if "RESULT " in line]
    if len(results) != count:
        raise SystemExit("\n".join(outputs))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--burst", type=int, default=0, help="also N processes asking at the same instant")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    (result,) = asyncio.run(run_in_apps(ALTERNATED, 1, {"TEMPLATE_REPEAT": str(args.repeat)}))
    print(f"request -> ready of a one-task DAG's template, {args.repeat} each, alternated; load {load:.2f}")
    for kind, label in (("zygote", "forked by the zygote"), ("exec", "exec'd (ForkServer.start)")):
        ms = result["timings"][kind]
        pss, dirty = (statistics.median(values) for values in zip(*result["memory"][kind], strict=True))
        print(
            f"  {label:26} ms: min {min(ms):6.1f}  median {statistics.median(ms):6.1f}  max {max(ms):6.1f};"
            f"  when ready, median MB: PSS {pss:5.1f}, private dirty {dirty:5.1f}"
        )
    if args.burst:
        load = os.getloadavg()[0]
        burst = asyncio.run(run_in_apps(BURST, args.burst, {"TEMPLATE_AT": ""}))
        print(f"{args.burst} processes asking at the same instant (ms from it); load {load:.2f}")
        for key, label in (("reply", "the zygote's reply"), ("ready", "the template ready")):
            values = [row[key] for row in burst]
            print(f"  {label:26} median {statistics.median(values):6.0f}  max {max(values):6.0f}")


if __name__ == "__main__":
    sys.exit(main())
