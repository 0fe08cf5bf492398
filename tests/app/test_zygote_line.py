"""An app forked from standalone's zygote asks the zygote for a new template on its line (cli/zygote.py).

- a process the zygote forked gets a template of its DAG file through `request_template`: ready with the file's DAG
  ids, it forks a task process whose exit is reported, `alive()` turns False when it is killed, `close()` ends it;
- no template holds the app's line (the app's own closes it, the zygote's never had it), nor any socket of the
  zygote's, and a task process can ask the zygote for nothing;
- a bad request gets an error reply and a file that does not load a "failed" message, the zygote carries on, and it
  drops the line of an app that exited (its descriptors are back to what they were).

The process playing the app is `riir-airflow dags report` forked from the zygote: the report imports SCENARIO, whose
top-level code asks for the templates and prints what it saw as JSON lines.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from riir_airflow.cli.zygote import Zygote, request_template
from tests.app.harness import write_dag
from tests.test_standalone import alive, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

SOCKETS = """
import contextlib
import os


def sockets(pid):
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                found.append(int(target[len("socket:["):-1]))
    return found
"""

SERVED = (
    SOCKETS
    + """
import json

from airflow.sdk import DAG, task


def look_around(context):
    from riir_airflow.cli.zygote import request_template

    seen = {"line_env": os.environ.get("RIIR_ZYGOTE_LINE_FD"), "template": repr(request_template(__file__)),
            "sockets": sockets("self")}
    print("TASK " + json.dumps(seen))


with DAG("served", schedule=None, on_success_callback=look_around):
    @task
    def noop():
        return None

    noop()
"""
)

SCENARIO = (
    SOCKETS
    + """
# Not a DAG file (no DAG in it): `riir-airflow dags report` imports it in a process forked from the zygote.
import asyncio
import json
import signal
import socket
import time

import pendulum

from riir_airflow.app.fork_server import ForkServer, ForkServerError, TaskStart, receive_message, send_message
from riir_airflow.app.fork_server import send_start
from riir_airflow.app.sandbox import ZYGOTE_LINE_FD
from riir_airflow.cli.zygote import request_template
from riir_airflow.dag_processing.loader import DagBag
from riir_airflow.engine.records import DagRunRecord

served = os.environ["SERVED_DAG"]
line = int(os.environ[ZYGOTE_LINE_FD])


def report(step, **fields):
    print("SCENARIO " + json.dumps({"step": step, **fields}), flush=True)


def run_a_task(server):
    parent, child = socket.socketpair()
    read_fd, write_fd = os.pipe()
    pid = server.fork("served", child.fileno(), write_fd)
    child.close()
    os.close(write_fd)
    now = pendulum.now("UTC")
    send_start(parent, TaskStart(DagRunRecord("served", "r1", "manual", now, now, now, now, state="success")))
    with os.fdopen(read_fd, "rb") as pipe:
        output = pipe.read().decode()
    parent.close()

    async def exit_code():
        server.attach(asyncio.get_running_loop())
        return await server.exit_code(pid)

    code = asyncio.run(exit_code())
    seen = json.loads(next(l for l in output.splitlines() if l.startswith("TASK "))[len("TASK "):])
    return code, seen


def nspid(pid):
    status = open(f"/proc/{pid}/status").read().splitlines()
    return [int(n) for n in next(l for l in status if l.startswith("NSpid:")).split()[1:]]


def raw_request(message, fds):
    sock = socket.socket(fileno=line)
    try:
        sock.settimeout(30)
        if isinstance(message, bytes):
            sock.send(message)
        else:
            send_message(sock, message, fds)
        return receive_message(sock)[0]
    finally:
        sock.detach()


common = {"line": os.fstat(line).st_ino, "zygote_sockets": sockets(os.getppid())}
started = time.perf_counter()
server = request_template(served)
dag_ids = server.wait_ready(60)
ready_ms = (time.perf_counter() - started) * 1000
code, seen = run_a_task(server)
report("zygote's template", dag_ids=dag_ids, ms=ready_ms, pid=server.pid, template_sockets=sockets(server.pid),
       code=code, task=seen, comm=open(f"/proc/{server.pid}/comm").read().strip(), nspid=nspid(server.pid), **common)
os.kill(server.pid, signal.SIGKILL)
deadline = time.monotonic() + 30
while server.alive() and time.monotonic() < deadline:
    time.sleep(0.01)
report("killed", alive=server.alive(), returncode=server.returncode)
server.close()

second = request_template(served)
second.wait_ready(60)
second.close()
report("closed", pid=second.pid, alive=second.alive())

dags = DagBag(served).dags
own = ForkServer.fork_template(served, dags)
code, seen = run_a_task(own)
report("app's own template", template_sockets=sockets(own.pid), code=code, task=seen, **common)
own.close()

broken = request_template(os.path.join(os.path.dirname(served), "missing.py"))
try:
    broken.wait_ready(60)
    report("missing file", error=None)
except ForkServerError as exc:
    report("missing file", error=str(exc))
broken.close()
bad = [({"op": "template", "path": 5}, [1]), ({"op": "what"}, []), (b"not JSON", []), (b"[1]", [])]
report("bad requests", replies=[raw_request(message, fds) for message, fds in bad])

after = request_template(served)
report("after", dag_ids=after.wait_ready(60))
after.close()
"""
)


def descriptor_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


@pytest.mark.timeout(240)
async def test_an_app_forked_from_the_zygote_gets_templates_on_its_line(
    app_env: dict[str, str], dags: Path, tmp_path: Path
) -> None:
    served = write_dag(dags, "served.py", SERVED)
    scenario = tmp_path / "scenario.py"
    scenario.write_text(SCENARIO)
    env = {**app_env, "SERVED_DAG": str(served), "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "200"}
    zygote = Zygote(env, print)
    try:
        await zygote.start()
        assert zygote.pid is not None
        descriptors = descriptor_count(zygote.pid)

        app = await zygote.spawn_app(["dags", "report", "--subdir", str(scenario)], env)
        assert app.stdout is not None
        output = (await asyncio.wait_for(app.stdout.read(), 200)).decode()
        assert await app.wait() == 0, output
        steps: dict[str, dict[str, Any]] = {}
        for line in output.splitlines():
            if line.startswith("SCENARIO "):
                step = json.loads(line[len("SCENARIO ") :])
                steps[step.pop("step")] = step
        assert "after" in steps, output

        # The zygote's template: ready with the file's DAG ids, its task ran and its exit was reported.
        first = steps["zygote's template"]
        assert first["dag_ids"] == ["served"] and first["code"] == 0 and first["comm"] == "riir-fork-srv"
        assert first["nspid"] == [first["pid"], 1]  # PID 1 of its tasks' namespace, as the app's own template is
        # Neither it nor its task holds the app's line or any socket of the zygote's; the task has no line to ask on.
        theirs = {first["line"], *first["zygote_sockets"]}
        assert not theirs & {*first["template_sockets"], *first["task"]["sockets"]}, first
        assert first["task"]["line_env"] is None and first["task"]["template"] == "None"
        assert first["ms"] < 10_000
        # Killed: no longer alive (its exit code is the zygote's to read); closed: gone, reaped by the zygote.
        assert steps["killed"] == {"alive": False, "returncode": -1}
        assert steps["closed"]["alive"] is False
        await wait_until(lambda: not os.path.exists(f"/proc/{steps['closed']['pid']}"), 10, "the template reaped")

        # The template the app forks from itself closed the line and dropped its variable: its task has nothing.
        own = steps["app's own template"]
        assert own["code"] == 0 and own["line"] not in own["template_sockets"]
        assert own["line"] not in own["task"]["sockets"]
        assert own["task"]["line_env"] is None and own["task"]["template"] == "None"

        # A file that does not load: the template says so. Bad requests: error replies. The zygote carries on.
        assert "missing.py" in steps["missing file"]["error"]
        for reply in steps["bad requests"]["replies"]:
            assert reply["op"] == "template" and "bad request" in reply["error"], reply
        assert steps["after"]["dag_ids"] == ["served"]

        # The app exited: the zygote dropped its line (no descriptor left behind), and still forks apps.
        await wait_until(lambda: descriptor_count(zygote.pid or 0) == descriptors, 10, "the zygote to drop the line")
        version = await zygote.spawn_app(["version"], env)
        assert await version.wait() == 0 and alive(zygote.pid)
    finally:
        await zygote.close()


def test_a_process_not_forked_from_the_zygote_has_no_line() -> None:
    assert "RIIR_ZYGOTE_LINE_FD" not in os.environ
    assert request_template(__file__) is None
