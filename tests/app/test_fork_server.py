"""The fork server on its own (no metastore): the config copy it reads, its start as a new program, its errors."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pendulum
import pytest

from riir_airflow.app.fork_server import ForkServer, ForkServerError, TaskStart, sanitized_config, send_start
from riir_airflow.app.limits import TaskCgroup
from riir_airflow.engine.records import DagRunRecord

DAG_FILE = """
from airflow.sdk import DAG, task


def done(context):
    print("callback ran")


with DAG("fork_served", schedule=None, on_success_callback=done):
    @task
    def noop():
        return None

    noop()
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from riir_airflow import compat

    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    monkeypatch.delenv("AIRFLOW_CONFIG", raising=False)
    monkeypatch.setenv("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql://app:hunter2-secret@db/x")
    monkeypatch.setenv("RIIR_AIRFLOW_COMPAT", "1")
    if not compat.is_installed():
        compat.install()
        monkeypatch.setattr("riir_airflow.compat.is_installed", lambda: True)
    return tmp_path


def test_the_config_copy_has_no_secret(home: Path) -> None:
    (home / "airflow.cfg").write_text(
        "[database]\nsql_alchemy_conn = postgresql://u:pw@h/db\nsql_alchemy_pool_size = 7\n"
        "[core]\nfernet_key = abc\nparallelism = 3\n[smtp]\nsmtp_password_cmd = cat /secret\nsmtp_host = mail\n"
    )
    (home / "out").mkdir()
    copy = sanitized_config(home / "out")
    assert copy is not None
    text = copy.read_text()
    assert "pw@h" not in text and "fernet_key" not in text and "smtp_password_cmd" not in text
    assert "sql_alchemy_pool_size = 7" in text and "parallelism = 3" in text and "smtp_host = mail" in text


def test_a_new_template_loads_the_file_without_credentials_and_reports_exits(home: Path) -> None:
    path = home / "served.py"
    path.write_text(DAG_FILE)
    server = ForkServer.start(str(path))
    try:
        assert server.wait_ready(120) == ["fork_served"]
        environ = Path(f"/proc/{server.pid}/environ").read_bytes()
        assert b"hunter2-secret" not in environ and b"SQL_ALCHEMY_CONN" not in environ
        with pytest.raises(ForkServerError, match="has no DAG 'other'"):
            server.fork("other", 0, 1)
        parent, child = socket.socketpair()
        read_fd, write_fd = os.pipe()
        pid = server.fork("fork_served", child.fileno(), write_fd)
        child.close()
        os.close(write_fd)
        now = pendulum.now("UTC")
        send_start(parent, TaskStart(DagRunRecord("fork_served", "r1", "manual", now, now, now, now, state="success")))
        with os.fdopen(read_fd, "rb") as pipe:
            output = pipe.read().decode()
        assert "callback ran" in output
        # The exit report comes over the control socket (read here without an event loop).
        import asyncio

        async def code() -> int:
            server.attach(asyncio.get_running_loop())
            return await server.exit_code(pid)

        assert asyncio.run(code()) == 0
        parent.close()
    finally:
        server.close()
    assert not server.alive()


MAPPED_ONLY_DAG_FILE = """
import sys

from airflow.sdk import DAG, task


def report(context):
    dag = context["dag"]
    print("jinja2 imported:", "jinja2" in sys.modules)
    print("made before the fork:", sorted(k for k in ("_template_envs", "_mapping_sources") if k in dag.__dict__))


with DAG("mapped_only", schedule=None, on_success_callback=report):
    @task
    def noop(x):
        return None

    noop.expand(x=list(range(1000)))
"""


def test_a_template_makes_what_every_mapped_try_reads_before_it_forks(home: Path) -> None:
    # A mapped try renders its mapped argument (the DAG's Jinja environment) and asks which tasks' outputs are
    # expanded over (a walk of the literal): made once in the template, not again in each task process.
    path = home / "mapped_only.py"
    path.write_text(MAPPED_ONLY_DAG_FILE)
    server = ForkServer.start(str(path))
    try:
        assert server.wait_ready(120) == ["mapped_only"]
        parent, child = socket.socketpair()
        read_fd, write_fd = os.pipe()
        server.fork("mapped_only", child.fileno(), write_fd)
        child.close()
        os.close(write_fd)
        now = pendulum.now("UTC")
        send_start(parent, TaskStart(DagRunRecord("mapped_only", "r1", "manual", now, now, now, now, state="success")))
        with os.fdopen(read_fd, "rb") as pipe:
            output = pipe.read().decode()
        parent.close()
    finally:
        server.close()
    assert "jinja2 imported: True" in output, output
    assert "made before the fork: ['_mapping_sources', '_template_envs']" in output, output


def test_a_template_that_cannot_load_the_file_says_why(home: Path) -> None:
    path = home / "broken.py"
    path.write_text("from airflow.sdk import DAG\n\nraise RuntimeError('broken on purpose')\n")
    server = ForkServer.start(str(path))
    try:
        with pytest.raises(ForkServerError, match="broken on purpose"):
            server.wait_ready(120)
        with pytest.raises(ForkServerError, match="broken on purpose"):
            server.fork("anything", 0, 1)
    finally:
        server.close()


@pytest.mark.postgres
@pytest.mark.e2e
async def test_an_app_replaces_a_fork_server_that_died(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    import signal

    from tests.app.harness import cli, start_app, wait_run_done, write_dag

    app = await start_app(app_env, db, write_dag(dags, "served.py", DAG_FILE), tmp_path / "app.log")
    try:
        children = Path(f"/proc/{app.proc.pid}/task/{app.proc.pid}/children").read_text().split()
        template = next(int(p) for p in children if Path(f"/proc/{p}/comm").read_text().strip() == "riir-fork-srv")
        os.kill(template, signal.SIGKILL)
        cli(app_env, "dags", "trigger", "fork_served", "-r", "r1")
        assert await wait_run_done(db, "fork_served", "r1") == "success", app.output()
    finally:
        app.stop()
    assert "The fork server of" in app.output() and "died" in app.output()


@dataclass
class Spare:
    """A fork server on DAG_FILE and one task process it forked ahead of any try (a spare)."""

    server: ForkServer
    pid: int  # the spare's pid, as the app sees it
    channel: socket.socket  # the app's end of the spare's channel
    log_read_fd: int  # the read end of its log pipe (the spare holds the write end)


@contextlib.contextmanager
def spare_forked_ahead(home: Path, cgroup: TaskCgroup | None) -> Iterator[Spare]:
    path = home / "served.py"
    path.write_text(DAG_FILE)
    server = ForkServer.start(str(path))
    parent, child = socket.socketpair()
    read_fd, write_fd = os.pipe()
    try:
        server.wait_ready(120)

        async def ahead() -> int:
            server.attach(asyncio.get_running_loop())
            return await server.fork_ahead(child.fileno(), write_fd, cgroup)

        pid = asyncio.run(ahead())
        child.close()
        os.close(write_fd)
        yield Spare(server, pid, parent, read_fd)
    finally:
        parent.close()
        server.close()
        with contextlib.suppress(OSError):  # a test may have read the pipe to its end and closed it
            os.close(read_fd)


def test_a_task_process_forked_ahead_confines_itself_before_its_assignment(home: Path) -> None:
    """A spare: forked before its try is known, it drops everything of the app's but its channel and joins its pids
    cgroup while it waits; when the app closes its channel instead of assigning it, it leaves with its cgroup."""
    cgroup = TaskCgroup.create(16)  # None where no pids controller is writable: the rest still holds
    try:
        with spare_forked_ahead(home, cgroup) as spare:
            _confined_then_leaves(spare, cgroup)
    finally:
        if cgroup is not None:
            cgroup.kill_all()


def _confined_then_leaves(spare: Spare, cgroup: TaskCgroup | None) -> None:
    pid = spare.pid

    def confined() -> bool:
        try:
            targets = {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except FileNotFoundError:
            return False  # it closed a descriptor between the listing and the read: still confining itself
        sockets = [fd for fd, target in targets.items() if target.startswith("socket:")]
        others = [t for fd, t in targets.items() if fd > 2 and fd not in sockets and t != os.devnull]
        joined = cgroup is None or f"/{cgroup.path.name}\n" in Path(f"/proc/{pid}/cgroup").read_text()
        return joined and len(sockets) == 1 and not others  # stdio, the channel, the rest /dev/null

    deadline = time.monotonic() + 30
    while not confined() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert confined(), (os.listdir(f"/proc/{pid}/fd"), Path(f"/proc/{pid}/cgroup").read_text())

    def state() -> str:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    while state() != "S" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert state() == "S"  # waiting on its channel
    spare.channel.close()  # no assignment: it leaves
    while Path(f"/proc/{pid}").exists() and state() != "Z":
        assert time.monotonic() < deadline + 30
        time.sleep(0.01)
    with os.fdopen(spare.log_read_fd, "rb") as pipe:
        assert pipe.read() == b""  # quietly
    if cgroup is not None:
        deadline = time.monotonic() + 10
        while cgroup.path.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not cgroup.path.exists()


def test_task_processes_live_in_a_pid_namespace_that_ends_with_the_template(home: Path) -> None:
    """As root the template is PID 1 of a PID namespace its task processes live in (app/pid_namespace.py): the pid
    it reports is the real one, the task's own number is another, the app stays outside, and the tasks end when the
    template does. No other process sits in the namespace."""
    if os.geteuid() != 0:
        pytest.fail("a PID namespace needs the fork server to run as root (as the tests do)")
    with spare_forked_ahead(home, None) as spare:
        server, pid = spare.server, spare.pid
        template = server.pid

        def numbers(p: int) -> list[int]:
            """NSpid: the process's pid in each namespace from the machine's down to its own."""
            status = Path(f"/proc/{p}/status").read_text()
            return [int(n) for n in next(line for line in status.splitlines() if line.startswith("NSpid:")).split()[1:]]

        assert os.readlink(f"/proc/{pid}/ns/pid") == os.readlink(f"/proc/{template}/ns/pid")
        assert os.readlink(f"/proc/{template}/ns/pid") != os.readlink("/proc/self/ns/pid")
        assert numbers(template) == [template, 1]
        real, inside = numbers(pid)
        assert real == pid and inside != pid
        # The app (this process) forks beside itself again once the template is made.
        assert os.readlink("/proc/self/ns/pid_for_children") == os.readlink("/proc/self/ns/pid")
        assert [int(p) for p in Path(f"/proc/{template}/task/{template}/children").read_text().split()] == [pid]
        server.close()  # the task process is still waiting for its assignment: it ends with the template

        def gone(p: int) -> bool:
            try:
                return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            except FileNotFoundError:
                return True

        deadline = time.monotonic() + 30
        while not gone(pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gone(pid)


STAMP_DAG = """
import os

from airflow.sdk import DAG, task

with DAG("fork_served", schedule=None):
    @task
    def which():
        return int(os.readlink("/proc/self"))  # its pid as the app sees it (os.getpid(): inside its PID namespace)

    which()
"""


@pytest.mark.postgres
async def test_a_try_starts_on_the_spare_and_an_unused_spare_goes(
    app_env: dict[str, str], pg_dsn: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The executor's first try is forked on request and asks for a spare; the next try runs in that spare (one
    message); the spare asked for by that start is retired, with its cgroup, once the app has been idle a while."""
    import asyncio

    from riir_airflow.app import executor as executor_module
    from riir_airflow.app.executor import ForkExecutor
    from riir_airflow.dag_processing.loader import DagBag
    from riir_airflow.engine.messages import Claim
    from riir_airflow.metastore import queries
    from riir_airflow.metastore.pool import ConnectionSettings, connect
    from riir_airflow.metastore.records import NewTaskInstance, TaskInstanceKey

    monkeypatch.setattr(executor_module, "SPARE_LINGER_SECONDS", 0.3)
    path = home / "served.py"
    path.write_text(STAMP_DAG)
    db = await connect(ConnectionSettings(dsn=pg_dsn))
    await queries.upsert_dag(db, "fork_served")
    await queries.create_dag_run(db, "fork_served", "r1", run_type="manual", tasks=[NewTaskInstance("which")])
    dag = DagBag(str(path)).dags["fork_served"]
    now = pendulum.now("UTC")
    run = DagRunRecord("fork_served", "r1", "manual", now, now, now, now)
    key = TaskInstanceKey("fork_served", "r1", "which", -1)
    server = ForkServer.start(str(path))
    executor = ForkExecutor(db, server)
    executor.spares = True
    try:
        server.wait_ready(120)
        server.attach(asyncio.get_running_loop())
        first = executor.launch(dag, Claim("which", -1, 1, 1), run, key, None)
        outcome = await first.done
        assert outcome.result is not None and outcome.result.xcoms["return_value"] == first.pid
        for _ in range(3000):
            if executor._spare is not None:
                break
            await asyncio.sleep(0.01)
        spare = executor._spare
        assert spare is not None
        second = executor.launch(dag, Claim("which", -1, 2, 2), run, key, None)
        assert second.pid == spare.pid and second.pid != first.pid
        coming = executor._spare_coming  # the next spare, asked for by this start
        assert coming is not None
        outcome = await second.done
        # It reported its result and closed its channel and output: its exit is not waited for (None), or came first.
        assert outcome.exit_code in (None, 0) and outcome.result is not None
        assert outcome.result.state == "success" and outcome.result.xcoms["return_value"] == spare.pid
        # Nothing runs any more: the unused spare goes, and its cgroup with it.
        unused = await asyncio.wait_for(coming, 30)
        assert unused is not None
        exit_code = await asyncio.wait_for(asyncio.shield(unused.exited), 30)
        assert exit_code == 0 and executor._spare is None
        if unused.cgroup is not None:
            for _ in range(1000):
                if not unused.cgroup.path.exists():
                    break
                await asyncio.sleep(0.01)
            assert not unused.cgroup.path.exists()
    finally:
        await executor.close()
        server.close()
        await db.close()


def test_exit_reports_name_task_processes_only_and_orphans_are_reaped_silently() -> None:
    """The fork server, init of its tasks' namespace, reaps every process that ends under it but reports only its
    task processes, each under the pid the app knows it by; an orphan a task left behind (reparented to the init)
    is reaped without a report. A child subreaper plays the init: it forks a task that leaves a grandchild behind."""
    import ctypes

    from riir_airflow.app.fork_server import _report_exits, pending_messages

    def left_under(pid: int) -> list[str]:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    init = os.fork()
    if init == 0:
        code = 1
        try:
            ours.close()
            ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans below come to this process
            release_r, release_w = os.pipe()
            task = os.fork()
            if task == 0:
                if os.fork() == 0:  # the grandchild outlives the task, then ends as an orphan
                    os.read(release_r, 1)
                    os._exit(0)
                os._exit(3)
            children = {task: 100_000 + task}  # our number -> the app's
            deadline = time.monotonic() + 30
            while children and time.monotonic() < deadline:  # the task's exit, reported
                _report_exits(theirs, children)
                time.sleep(0.01)
            os.write(release_w, b"x")
            while left_under(os.getpid()) and time.monotonic() < deadline:  # the orphan's, reaped
                _report_exits(theirs, children)
                time.sleep(0.01)
            code = 0 if not left_under(os.getpid()) else 2
        finally:
            os._exit(code)
    theirs.close()
    try:
        _, status = os.waitpid(init, 0)
        assert os.waitstatus_to_exitcode(status) == 0  # nothing was left unreaped under the init
        reports = [message for message in pending_messages(ours) if message is not None]  # None: the init closed
        assert len(reports) == 1, reports
        assert reports[0]["op"] == "exited" and reports[0]["code"] == 3 and reports[0]["pid"] > 100_000
    finally:
        ours.close()
