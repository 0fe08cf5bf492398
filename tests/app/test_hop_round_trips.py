"""A task hop's round trips: between one try's result and the next try's start, the app sends three statements —
the result, the loop turn's read, and the moves to scheduled with the claim and start (docs/engine.md, "A task
hop"). Every statement the app sends is traced by benchmarks/hop_trace_site (loaded through PYTHONPATH)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from tests.app.harness import cli, start_app, task_states, wait_run_done, write_dag

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.timeout(180)]

TRACE_SITE = Path(__file__).resolve().parents[2] / "benchmarks" / "hop_trace_site"
RESULT = "riir_record_result("
START = "riir_schedule_and_start("

CHAIN = """
    from airflow.sdk import DAG, task
    import pendulum

    with DAG("hop_chain", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        @task
        def step(x=0):
            return x + 1

        value = step.override(task_id="s0")()
        for i in range(1, 6):
            value = step.override(task_id=f"s{i}")(value)
"""


def traced_statements(prefix: Path) -> list[str]:
    """The app's statements in the order it sent them (start times), first words only."""
    lines = [
        line.split("\t", 3) for path in prefix.parent.glob(prefix.name + ".*") for line in path.read_text().splitlines()
    ]
    return [text for _, _, _, text in sorted(lines, key=lambda fields: float(fields[0]))]


async def test_three_statements_from_a_result_to_the_next_start(
    app_env: dict[str, str], db: asyncpg.Connection, dags: Path, tmp_path: Path
) -> None:
    trace = tmp_path / "trace"
    env = dict(app_env, RIIR_HOP_TRACE=str(trace), PYTHONPATH=str(TRACE_SITE))
    app = await start_app(env, db, write_dag(dags, "hop_chain.py", CHAIN), tmp_path / "app.log")
    try:
        cli(app_env, "dags", "trigger", "hop_chain", "-r", "r1")
        assert await wait_run_done(db, "hop_chain", "r1") == "success", app.output()
    finally:
        app.stop()
    assert await task_states(db, "hop_chain", "r1") == {f"s{i}": ("success", 1) for i in range(6)}
    # The heartbeat (every few seconds, on its own schedule) may land inside a hop, and so may a try's log lines and
    # pid stamp, written as they arrive: none of them is the hop's work (nothing waits for them). A try's last lines
    # come with its result, in the result's statement.
    # asyncpg also introspects a type the first time a connection meets it (jit off, typeinfo query, jit back).
    housekeeping = ("heartbeat", "INSERT INTO task_log", "UPDATE task_instance SET pid", "set_config('jit'",
                    "typeinfo_tree")  # fmt: skip
    statements = [
        text for text in traced_statements(trace) if RESULT in text or not any(h in text for h in housekeeping)
    ]
    hops = []
    for n, text in enumerate(statements):
        if RESULT in text:
            following = statements[n : n + 3]
            if any(START in later for later in following):
                hops.append(following)
    assert len(hops) == 5, statements  # s0 -> s1 ... s4 -> s5 (s5's result starts nothing)
    for hop in hops:
        # The loop turn's read: the active runs with the task instances changed since the last turn (migration 0017).
        assert START in hop[2] and hop[1].startswith("SELECT r.*, pg_snapshot_xmin(pg_current_snapshot())"), hop
