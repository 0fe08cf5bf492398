"""What isolating a task process costs on the hop: starting a try, and one channel round trip.

    python benchmarks/bench_isolation.py [--tasks 40] [--repeat 3] [--requests 2000] [--quick] [--breakdown]

Task start: this process plays the app. It imports a one-task DAG file, forks its fork server from itself as
`riir-airflow app` does (app/fork_server.py), and runs the app's own `ForkExecutor` against a fresh database on the
machine's PostgreSQL (task logs are written as in the app). The task stamps the monotonic clock as its code starts
and returns the stamp as its XCom. Per try, three ways, interleaved so that load drifts hit them alike:

- no isolation: the app forks itself and the child runs the try at once (no fork server, no descriptor or
  environment scrubbing, no cgroup, no rlimits, no capability drop): what an app that did not isolate would do;
- on request: `ForkExecutor.launch` without a spare: a pids cgroup is made, the fork server forks (the app waits for
  its reply), the process confines itself (joining the cgroup included) and then runs the assignment;
- spare: `ForkExecutor.launch` with the spare the executor keeps while it has work: one message on the spare's
  channel; the next spare is asked for on the loop's next turn (reported as background work).

Between tries the bench waits `--gap` ms (a hop's order of magnitude; joins of a cgroup are cheap only right after
another one, so back-to-back tries would flatter the on-request way). Reported per way, medians over `--tasks`
tries per repetition: the time the app's event loop is blocked starting the try (what the hop pays in the app),
the latency from the start request to the task's code running, and to the try's end being seen (the executor's
rule, for the no-isolation way too: a try that reported its result and closed its channel and output has ended; its
process's exit is waited for only when it reported none). The isolation cost on the hop is the spare's figure minus
the no-isolation figure. `--breakdown` also stamps the points between (isolation_breakdown.py) and prints where the
time goes, per way.

Channel: a task process's blocking `ChannelClient.request` against an asyncio server shaped like the app's (length-
prefixed JSON over a socket pair, identity token checked), as `Variable.get` makes it; the round trip per request.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import isolation_breakdown  # noqa: E402
import measure  # noqa: E402
from harness import database  # noqa: E402

from riir_airflow.app.channel import ChannelClient, read_message, write_message  # noqa: E402
from riir_airflow.engine.messages import GetVariable  # noqa: E402

DAG_ID = "bench_isolation"
DAG_FILE = f"""
import time

from airflow.sdk import DAG, task

with DAG("{DAG_ID}", schedule=None):
    @task
    def stamp():
        return time.monotonic()  # when the task's own code starts (CLOCK_MONOTONIC: one clock for all processes)

    stamp()
"""
WAYS = ("no isolation", "on request", "spare")


@dataclass
class Samples:
    blocked: list[float] = field(default_factory=list)  # app's loop blocked starting the try
    blocked_cpu: list[float] = field(default_factory=list)  # of which CPU (the rest: preempted, waiting)
    background: list[float] = field(default_factory=list)  # loop work after the start (asking for the next spare)
    to_running: list[float] = field(default_factory=list)  # start request -> task code runs
    to_done: list[float] = field(default_factory=list)  # start request -> the app has the try's end
    hits: int = 0  # tries that found a spare waiting
    tries: list[isolation_breakdown.Try] = field(default_factory=list)


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def _p90_ms(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.9)] * 1000 if values else float("nan")


async def _prepare_database(dsn: str, run_id: str) -> Any:
    from riir_airflow.metastore import queries
    from riir_airflow.metastore.migrate import migrate
    from riir_airflow.metastore.pool import ConnectionSettings, connect
    from riir_airflow.metastore.records import NewTaskInstance

    conn = await connect(ConnectionSettings(dsn=dsn))
    await migrate(conn)
    await queries.upsert_dag(conn, DAG_ID)
    await queries.create_dag_run(conn, DAG_ID, run_id, run_type="manual", tasks=[NewTaskInstance("stamp")])
    return conn


def _stamp_of(result: Any) -> float:
    if result is None or result.state != "success":
        raise RuntimeError(f"the try did not succeed: {result}")
    return float(result.xcoms["return_value"])


async def _in_app(executor: Any, dag: Any, claim: Any, run: Any, key: Any) -> tuple[float, float, float, float, int]:
    """The try without isolation: the app forks itself, the child runs the try straight away. (blocked, its CPU,
    running stamp, done time, pid)."""
    from riir_airflow.app.child import run_child

    token = secrets.token_hex(16)
    loop = asyncio.get_running_loop()
    started, cpu = time.monotonic(), time.thread_time()
    parent_sock, child_sock = socket.socketpair()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            parent_sock.close()
            os.close(read_fd)
            os.dup2(write_fd, 1)
            os.dup2(write_fd, 2)
            os.setpgid(0, 0)
            asyncio.events._set_running_loop(None)
            run_child(dag, claim, run, child_sock, channel_token=token)
        finally:
            os._exit(1)
    child_sock.close()
    os.close(write_fd)
    blocked, cpu = time.monotonic() - started, time.thread_time() - cpu
    exited = loop.create_future()
    pidfd = os.pidfd_open(pid)

    def reap() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        exited.set_result(os.waitpid(pid, 0)[1])
        isolation_breakdown.stamp("reaped", pid)

    loop.add_reader(pidfd, reap)
    # The executor's rule: a try that reported its result and closed its channel and output has ended; its exit is
    # waited for only when it did not report one.
    result, _ = await asyncio.gather(
        executor._serve(key, parent_sock, token), executor._pump_logs(key, claim.try_number, read_fd)
    )
    if result is None:
        await exited
    done = time.monotonic()
    await exited  # reaped before the next try, off the clock
    return blocked, cpu, _stamp_of(result), done, pid


async def _launched(
    executor: Any, dag: Any, claim: Any, run: Any, key: Any
) -> tuple[float, float, float, float, bool, int]:
    """The try through the app's executor: (blocked, its CPU, running stamp, done time, whether a spare was
    waiting, pid)."""
    hit = executor._spare is not None
    started, cpu = time.monotonic(), time.thread_time()
    running = executor.launch(dag, claim, run, key, None)
    blocked, cpu = time.monotonic() - started, time.thread_time() - cpu
    outcome = await running.done
    done = time.monotonic()
    if outcome.exit_code not in (0, None):  # None: it reported its result and closed; its exit was not waited for
        raise RuntimeError(f"the try failed (exit code {outcome.exit_code})")
    return blocked, cpu, _stamp_of(outcome.result), done, hit, running.pid


def _timed_spares(executor: Any, background: list[float]) -> None:
    """Wraps the executor's deferred spare request so that the loop time it takes is counted as background work:
    asking for its cgroup (made in a worker thread) and then, when that is done, asking the fork server for it."""
    make, fork = executor._make_spare, executor._fork_spare

    def timed_make(coming: Any) -> None:
        started = time.monotonic()
        make(coming)
        background.append(time.monotonic() - started)

    def timed_fork(coming: Any, cgroup: Any) -> None:
        started = time.monotonic()
        fork(coming, cgroup)
        background[-1] += time.monotonic() - started

    executor._make_spare, executor._fork_spare = timed_make, timed_fork


async def bench_start(
    dsn: str, run_id: str, dags: dict[str, Any], server: Any, tasks: int, gap: float
) -> dict[str, Samples]:
    import pendulum

    from riir_airflow.app.executor import ForkExecutor
    from riir_airflow.engine.messages import Claim
    from riir_airflow.engine.records import DagRunRecord
    from riir_airflow.metastore.records import TaskInstanceKey

    samples = {way: Samples() for way in WAYS}
    db = await _prepare_database(dsn, run_id)
    server.attach(asyncio.get_running_loop())
    executor = ForkExecutor(db, server)
    _timed_spares(executor, samples["spare"].background)
    dag = dags[DAG_ID]
    now = pendulum.now("UTC")
    run = DagRunRecord(DAG_ID, run_id, "manual", now, now, now, now)
    key = TaskInstanceKey(DAG_ID, run_id, "stamp", -1)
    try:
        executor._keep_a_spare()  # the first spare; later ones are asked for by each start
        for number in range(1, tasks + 1):
            claim = Claim("stamp", -1, number, number)
            for way in WAYS:
                await asyncio.sleep(gap)
                started = time.monotonic()
                if way == "no isolation":
                    blocked, cpu, stamp, done, pid = await _in_app(executor, dag, claim, run, key)
                    hit = False
                elif way == "on request":  # the spare, made after the previous start, is set aside meanwhile
                    executor.spares, spare, executor._spare = False, executor._spare, None
                    blocked, cpu, stamp, done, hit, pid = await _launched(executor, dag, claim, run, key)
                    executor.spares, executor._spare = True, spare
                else:
                    blocked, cpu, stamp, done, hit, pid = await _launched(executor, dag, claim, run, key)
                record = samples[way]
                record.blocked.append(blocked)
                record.blocked_cpu.append(cpu)
                record.to_running.append(stamp - started)
                record.to_done.append(done - started)
                record.tries.append(isolation_breakdown.Try(way, pid, started, stamp, done))
                record.hits += hit
    finally:
        await executor.close()
        await db.close()
    return samples


def bench_channel(requests: int) -> float:
    """Seconds per round trip, timed in a forked task process against this process's asyncio server."""
    token = "t" * 32
    app_end, task_end = socket.socketpair()
    timing_read, timing_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the task process: blocking requests, as Variable.get makes them
        app_end.close()
        client = ChannelClient(task_end, token=token)
        for _ in range(50):  # warm up
            client.request(GetVariable(key="k"))
        started = time.perf_counter()
        for _ in range(requests):
            client.request(GetVariable(key="k"))
        os.write(timing_write, str((time.perf_counter() - started) / requests).encode())
        os._exit(0)
    task_end.close()
    os.close(timing_write)

    async def serve() -> None:
        reader, writer = await asyncio.open_connection(sock=app_end)
        while (message := await read_message(reader)) is not None:
            ok = hmac.compare_digest(str(message.pop("token", "")), token)
            await write_message(writer, {"value": message["key"]} if ok else {"error": "bad token"})
        writer.close()

    asyncio.run(serve())
    os.waitpid(pid, 0)
    with os.fdopen(timing_read) as pipe:
        return float(pipe.read())


def _load(folder: str) -> dict[str, Any]:
    """The DAG file imported as the app imports it (the `airflow` alias included)."""
    from riir_airflow import compat
    from riir_airflow.app.fork_server import _load as load_dag_file

    compat.install()
    path = os.path.join(folder, "bench_isolation_dag.py")
    Path(path).write_text(DAG_FILE)
    return load_dag_file(path)


def _report(rounds: list[dict[str, Samples]], tasks: int) -> None:
    def over_rounds(way: str, pick: Callable[[Samples], list[float]], stat: Callable[[list[float]], float]) -> str:
        values = [stat(pick(r[way])) for r in rounds]
        each = " ".join(f"{v:.3f}" for v in values)
        return f"{statistics.median(values):.3f} ms ({each})"

    print(f"task start, {len(rounds)} repetitions x {tasks} tries per way (median per repetition in brackets):")
    for way in WAYS:
        hits = sum(r[way].hits for r in rounds)
        print(f"  {way}:")
        print(f"    app's loop blocked starting it {over_rounds(way, lambda s: s.blocked, _median_ms)}, "
              f"p90 {over_rounds(way, lambda s: s.blocked, _p90_ms)}; "
              f"CPU {over_rounds(way, lambda s: s.blocked_cpu, _median_ms)}")  # fmt: skip
        if way == "spare":
            print(f"    + asking for the next spare on the loop's next turn (off the hop) "
                  f"{over_rounds(way, lambda s: s.background, _median_ms)}; spare waiting at "
                  f"{hits}/{tasks * len(rounds)} starts")  # fmt: skip
        print(f"    request -> task code running {over_rounds(way, lambda s: s.to_running, _median_ms)}, "
              f"p90 {over_rounds(way, lambda s: s.to_running, _p90_ms)}")  # fmt: skip
        print(f"    request -> try's end seen by the app {over_rounds(way, lambda s: s.to_done, _median_ms)}")

    def cost(way: str, pick: Callable[[Samples], list[float]]) -> float:
        return statistics.median(_median_ms(pick(r[way])) - _median_ms(pick(r["no isolation"])) for r in rounds)

    blocked = cost("spare", lambda s: s.blocked)
    running = cost("spare", lambda s: s.to_running)
    print(
        f"isolation cost on the hop (spare minus no isolation, median of the repetitions' medians): app's loop "
        f"{blocked:+.3f} ms ({cost('spare', lambda s: s.blocked_cpu):+.3f} ms CPU), request -> task code running "
        f"{running:+.3f} ms; {'within' if max(blocked, running) < 1 else 'ABOVE'} the 1 ms target"
    )
    print(
        f"  without a spare (on request minus no isolation): app's loop {cost('on request', lambda s: s.blocked):+.3f}"
        f" ms ({cost('on request', lambda s: s.blocked_cpu):+.3f} ms CPU), request -> task code running "
        f"{cost('on request', lambda s: s.to_running):+.3f} ms"
    )


def _record(rounds: list[dict[str, Samples]], tasks: int, requests: int, channel_seconds: float) -> None:
    """benchmarks/.out/isolation.json for RESULTS.md: per figure, each repetition's median (ms)."""
    run = measure.Run("isolation", {"tries_per_way": tasks, "repeat": len(rounds), "channel_requests": requests})

    def per_round(way: str, pick: Callable[[Samples], list[float]]) -> list[float]:
        return [_median_ms(pick(r[way])) for r in rounds]

    for way in WAYS:
        run.figure(f"app loop blocked per start, {way}", "ms", per_round(way, lambda s: s.blocked))
    for way in WAYS:
        run.figure(f"request -> task code running, {way}", "ms", per_round(way, lambda s: s.to_running))
    for way in WAYS:
        run.figure(f"request -> try's end seen by the app, {way}", "ms", per_round(way, lambda s: s.to_done))
    for pick_name, pick in (("app loop blocked", lambda s: s.blocked), ("request -> end seen", lambda s: s.to_done)):
        cost = [_median_ms(pick(r["spare"])) - _median_ms(pick(r["no isolation"])) for r in rounds]
        run.figure(f"isolation cost (spare minus no isolation): {pick_name}", "ms", cost, target="< 1")
    run.figure("channel round trip", "us", channel_seconds * 1e6)
    run.notes.append(
        "One app process, its fork-server template and task processes of a one-task DAG on PostgreSQL; ways: "
        + ", ".join(WAYS)
        + ". Cells over repetitions of each repetition's median. The end is seen when the try's result is in and "
        "its channel and output are closed (the process's exit is not waited for)."
    )
    run.save()
    run.print_table()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tasks", type=int, default=40, help="tries per way and repetition (default 40)")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (default 3)")
    parser.add_argument("--gap", type=float, default=30.0, help="ms between tries, a hop's order (default 30)")
    parser.add_argument("--requests", type=int, default=2000, help="channel round trips (default 2000)")
    parser.add_argument("--quick", action="store_true", help="10 tries x 2 repetitions, 500 round trips")
    parser.add_argument("--breakdown", action="store_true", help="stamp the points of a try's path, print medians")
    args = parser.parse_args()
    if args.quick:
        args.tasks, args.repeat, args.requests = 10, 2, 500
    from riir_airflow.app.fork_server import ForkServer

    with tempfile.TemporaryDirectory() as folder:
        trace = Path(folder) / "breakdown.trace"
        if args.breakdown:  # before the template is forked: it and its task processes carry the stamps
            isolation_breakdown.install(trace)
        dags = _load(folder)
        # As the app does: the template is forked from this process after the import, before any connection.
        server = ForkServer.fork_template(os.path.join(folder, "bench_isolation_dag.py"), dags)
        try:
            with database("bench_isolation") as dsn:
                rounds = [
                    asyncio.run(bench_start(dsn, f"r{n}", dags, server, args.tasks, args.gap / 1000))
                    for n in range(args.repeat)
                ]
        finally:
            server.close()
        if args.breakdown:
            isolation_breakdown.report(trace, [t for r in rounds for way in WAYS for t in r[way].tries], WAYS)
    channel = bench_channel(args.requests)
    _report(rounds, args.tasks)
    _record(rounds, args.tasks, args.requests, channel)
    print(f"channel round trip ({args.requests} requests): {channel * 1e6:.1f} us per request")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
