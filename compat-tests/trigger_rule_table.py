"""Checks the Rust trigger-rule table against real Airflow's `TriggerRuleDep`.

`python compat-tests/trigger_rule_table.py` runs Airflow 3.3.2's dependency (in the reference venv) for every rule
and every pair of upstream states of the table in `rust/riir_core/src/trigger_rule/tests.rs`, with the scheduler's
`flag_upstream_failed=True`, and compares the outcome code by code. Exit status 1 on any difference.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "rust" / "riir_core" / "src" / "trigger_rule" / "tests.rs"
RULES = [
    "all_success",
    "all_failed",
    "all_done",
    "all_done_min_one_success",
    "all_done_setup_success",
    "one_success",
    "one_failed",
    "one_done",
    "none_failed",
    "none_skipped",
    "always",
    "none_failed_min_one_success",
    "all_skipped",
]
STATES = {"-": None, "s": "success", "k": "skipped", "f": "failed", "u": "upstream_failed", "r": "removed"}


def rust_table() -> dict[str, list[str]]:
    """The rows of `TWO_UPSTREAMS` in the Rust test: upstream state codes -> one outcome code per rule."""
    rows = re.findall(r'^\s*\("([-skfur] [-skfur])",\s*"([RWSUX ]+)"\),', TABLE.read_text(), re.M)
    return {states: codes.split() for states, codes in rows}


def inside_airflow(pairs: list[str]) -> dict[str, list[str]]:
    """Runs in the reference venv: real `TriggerRuleDep` on stand-in task instances (no database needed)."""
    from airflow.task.trigger_rule import TriggerRule
    from airflow.ti_deps.deps.trigger_rule_dep import TriggerRuleDep
    from airflow.utils.state import State, TaskInstanceState

    class Task:
        def __init__(self, task_id: str, trigger_rule: str, upstream: list[Task]) -> None:
            self.task_id = task_id
            self.trigger_rule = TriggerRule(trigger_rule)
            self.upstream_list = upstream
            self.upstream_task_ids = {t.task_id for t in upstream}
            self.is_setup = False
            self.is_teardown = False
            self.dag = None

        def get_upstreams_only_setups(self) -> list[Task]:
            return []

        def get_needs_expansion(self) -> bool:
            return False

        def get_closest_mapped_task_group(self) -> None:
            return None

    class TI:
        def __init__(self, task: Task, state: str | None) -> None:
            self.task, self.task_id, self.map_index = task, task.task_id, -1
            self.state = TaskInstanceState(state) if state else None
            self.dag_id, self.run_id = "d", "r"

        def set_state(self, state: TaskInstanceState, session: object = None) -> bool:
            changed = state != self.state
            self.state = state
            return changed

        def get_dagrun(self, session: object = None) -> None:
            return None

    class Context:
        flag_upstream_failed = True
        wait_for_past_depends_before_skipping = False
        have_changed_ti_states = False

        def __init__(self, finished: list[TI]) -> None:
            self.finished = finished
            self.upstream_task_id_counts: dict[object, object] = {}

        def ensure_finished_tis(self, dag_run: object, session: object) -> list[TI]:
            return self.finished

    codes = {
        None: None,
        "skipped": "S",
        "upstream_failed": "U",
        "removed": "X",
    }
    table: dict[str, list[str]] = {}
    for pair in pairs:
        row = []
        for rule in RULES:
            ups = [Task(f"up{i}", "all_success", []) for i in range(2)]
            up_tis = [TI(t, STATES[c]) for t, c in zip(ups, pair.split(), strict=True)]
            ti = TI(Task("me", rule, ups), None)
            ctx = Context([t for t in up_tis if t.state in State.finished])
            statuses = list(TriggerRuleDep()._get_dep_statuses(ti, ctx, session=None))  # type: ignore[arg-type]
            new = codes[ti.state.value if ti.state else None]
            row.append(new or ("R" if all(s.passed for s in statuses) else "W"))
        table[pair] = row
    return table


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from airflow_env import airflow_env, airflow_python

    expected = rust_table()
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(
            [str(airflow_python()), __file__, "--inside", *expected],
            env=airflow_env(Path(home)),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    real = {line[:3]: line[4:].split() for line in out.splitlines() if re.match(r"^[-skfur] [-skfur] ", line)}
    bad = 0
    print(f"{'upstreams':10}" + " ".join(f"{r[:9]:>9}" for r in RULES))
    for pair, codes in expected.items():
        marks = []
        for rule, ours, theirs in zip(RULES, codes, real[pair], strict=True):
            if ours != theirs:
                bad += 1
                print(f"DIFFERENT: {rule} with upstreams {pair!r}: Rust table {ours}, Airflow {theirs}")
            marks.append(theirs if ours == theirs else f"{ours}!={theirs}")
        print(f"{pair:10}" + " ".join(f"{m:>9}" for m in marks))
    print(f"{len(expected) * len(RULES) - bad} of {len(expected) * len(RULES)} cases identical to Airflow")
    return 1 if bad or not expected else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--inside"]:
        for pair, row in inside_airflow(sys.argv[2:]).items():
            print(pair, " ".join(row))
        sys.exit(0)
    sys.exit(main())
