"""Bounds on importing the app's dag.py: a file that allocates without bound or hangs fails this app's start with
a clear message, and nothing else (the broker and other apps are separate processes).

- memory: while the file imports, the app's address space may grow by at most `[riir] dag_import_memory_limit_mb`
  (default 2048, 0 = none; RLIMIT_AS soft limit, restored afterwards), so a runaway allocation raises MemoryError,
  which the DagBag reports as that file's import error;
- time: `[core] dagbag_import_timeout` already interrupts a slow import with SIGALRM; a file that ignores or blocks
  that signal (a C call, `signal.signal(SIGALRM, SIG_IGN)`) is stopped by a watchdog thread at twice the timeout
  plus 5 seconds (room for a slow machine to report an ordinary timeout first), which prints why and ends the
  process with exit code 3.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import threading
from collections.abc import Iterator

from riir_airflow.app.limits import MB, address_space
from riir_airflow.config import AirflowConfigParser, conf

WATCHDOG_GRACE_SECONDS = 5.0
EXIT_IMPORT_HUNG = 3


@contextlib.contextmanager
def guarded_import(path: str, config: AirflowConfigParser | None = None) -> Iterator[None]:
    cfg = config or conf
    timeout = cfg.getfloat("core", "dagbag_import_timeout", fallback=30.0)
    memory_mb = cfg.getint("riir", "dag_import_memory_limit_mb", fallback=2048)
    finished = threading.Event()

    def watchdog() -> None:
        if not finished.wait(2 * timeout + WATCHDOG_GRACE_SECONDS):
            print(f"error: {path} did not finish importing within {timeout:g}s ([core] dagbag_import_timeout) and "
                  "ignored the timeout; this app stops.", file=sys.stderr, flush=True)  # fmt: skip
            os._exit(EXIT_IMPORT_HUNG)

    if timeout > 0:
        threading.Thread(target=watchdog, name="dag-import-watchdog", daemon=True).start()
    previous = resource.getrlimit(resource.RLIMIT_AS)
    if memory_mb > 0:
        soft = address_space() + memory_mb * MB
        hard = previous[1]
        resource.setrlimit(resource.RLIMIT_AS, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    try:
        yield
    finally:
        finished.set()
        resource.setrlimit(resource.RLIMIT_AS, previous)
