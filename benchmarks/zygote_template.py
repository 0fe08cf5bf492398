"""How long an app forked from standalone's zygote waits for a new template: request to "ready", for a one-task DAG.

    python benchmarks/zygote_template.py [--repeat 20]

Starts a zygote (cli/zygote.py) and has it fork a process, as it forks an app; in that process `--repeat` times,
alternated: a template forked by the zygote (`request_template`: a fork of the preloaded zygote that imports the
DAG file) and one exec'd (`ForkServer.start`: a new interpreter, what an app not forked from the zygote does), each
timed from the request to its "ready" and closed. Prints min / median / max of both in milliseconds, their memory
when ready (PSS, private dirty: the zygote's template shares riir with the zygote and its apps), and the load.
The process playing the app is `riir-airflow dags report` on a file whose top-level code does the timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

DAG = """
from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG("one_task", schedule=None):
    EmptyOperator(task_id="only")
"""

TIMER = """
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
print("TIMINGS " + json.dumps({"timings": timings, "memory": memory}), flush=True)
"""


async def measure(repeat: int) -> dict[str, dict[str, list[Any]]]:
    from riir_airflow.cli.zygote import Zygote

    with tempfile.TemporaryDirectory(prefix="zygote-template-") as folder:
        dag, timer = Path(folder) / "one_task.py", Path(folder) / "timer.py"
        dag.write_text(DAG)
        timer.write_text(TIMER)
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("AIRFLOW")},
            "AIRFLOW_HOME": folder,
            "RIIR_AIRFLOW_COMPAT": "1",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "600",
            "TEMPLATE_DAG": str(dag),
            "TEMPLATE_REPEAT": str(repeat),
        }
        zygote = Zygote(env, print)
        try:
            app = await zygote.spawn_app(["dags", "report", "--subdir", str(timer)], env)
            assert app.stdout is not None
            output = (await app.stdout.read()).decode()
            if await app.wait() != 0:
                raise SystemExit(output)
        finally:
            await zygote.close()
    line = next((line for line in output.splitlines() if line.startswith("TIMINGS ")), None)
    if line is None:
        raise SystemExit(output)
    results: dict[str, dict[str, list[Any]]] = json.loads(line[len("TIMINGS ") :])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    load = os.getloadavg()
    results = asyncio.run(measure(args.repeat))
    print(f"request -> ready of a one-task DAG's template, {args.repeat} each, alternated; load {load[0]:.2f}")
    for kind, label in (("zygote", "forked by the zygote"), ("exec", "exec'd (ForkServer.start)")):
        ms = results["timings"][kind]
        pss, dirty = (statistics.median(values) for values in zip(*results["memory"][kind], strict=True))
        print(
            f"  {label:26} ms: min {min(ms):6.1f}  median {statistics.median(ms):6.1f}  max {max(ms):6.1f};"
            f"  when ready, median MB: PSS {pss:5.1f}, private dirty {dirty:5.1f}"
        )


if __name__ == "__main__":
    sys.exit(main())
