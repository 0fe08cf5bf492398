"""`-D/--daemon` with `--pid`, `--stdout`, `--stderr`, `-l/--log-file`, as Airflow's long-running commands take them.

Airflow detaches through python-daemon; the steps are few enough to take here without the dependency: fork,
`setsid`, fork again (the daemon can never reacquire a terminal), `chdir /`, `[core] daemon_umask`, standard streams
to the given files (truncated, as Airflow does), and a PID file that is refused while the process it names runs.
File names default to Airflow's: `$AIRFLOW_HOME/airflow-<process>.{pid,out,err,log}`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from riir_airflow.config import conf, get_airflow_home


@dataclass(frozen=True)
class DaemonFiles:
    pid: Path
    stdout: Path
    stderr: Path
    log: Path


def daemon_files(process: str, args: argparse.Namespace) -> DaemonFiles:
    """Airflow's `setup_locations`: the given paths, else `$AIRFLOW_HOME/airflow-<process>.<ext>`."""
    home = get_airflow_home()

    def pick(given: str | None, ext: str) -> Path:
        return Path(given).absolute() if given else home / f"airflow-{process}.{ext}"

    return DaemonFiles(
        pid=pick(getattr(args, "pid", None), "pid"),
        stdout=pick(getattr(args, "stdout", None), "out"),
        stderr=pick(getattr(args, "stderr", None), "err"),
        log=pick(getattr(args, "log_file", None), "log"),
    )


def running_pid(pid_file: Path) -> int | None:
    """The PID in `pid_file` when that process is alive; a stale file (dead process, garbage) is removed."""
    try:
        pid = int(pid_file.read_text().strip())
    except FileNotFoundError:
        return None
    except ValueError:
        pid_file.unlink(missing_ok=True)
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return None
    except PermissionError:
        pass  # alive, owned by someone else
    return pid


def run_with_daemon_option(args: argparse.Namespace, process: str, callback: Callable[[], int]) -> int:
    """Runs `callback` here, or, with `--daemon`, in a detached process; the foreground returns 0 once detached."""
    if not getattr(args, "daemon", False):
        return callback()
    files = daemon_files(process, args)
    pid = running_pid(files.pid)
    if pid is not None:
        print(f"error: The {process} is already running under PID {pid}.", file=sys.stderr)
        return 1
    umask = int(conf.get("core", "daemon_umask", fallback="0o077") or "0o077", 8)
    for path in (files.pid, files.stdout, files.stderr, files.log):
        path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    if os.fork() > 0:
        return 0  # the terminal's process: the daemon carries on alone
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")
    os.umask(umask)
    _redirect_streams(files)
    _write_pid_file(files.pid)
    handler = logging.FileHandler(files.log)
    handler.setFormatter(logging.Formatter("[%(asctime)s] {%(filename)s:%(lineno)d} %(levelname)s - %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    try:
        code = callback()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        logging.getLogger("riir_airflow.daemon").exception("the %s stopped with an error", process)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(FileNotFoundError):
        files.pid.unlink()
    os._exit(code)


def _redirect_streams(files: DaemonFiles) -> None:
    with open(os.devnull, "rb") as devnull:
        os.dup2(devnull.fileno(), 0)
    for path, fd in ((files.stdout, 1), (files.stderr, 2)):
        with open(path, "ab") as stream:
            stream.truncate(0)
            os.dup2(stream.fileno(), fd)


def _write_pid_file(pid_file: Path) -> None:
    # O_EXCL: two daemons started at the same moment cannot both claim the file.
    fd = os.open(pid_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w") as out:
        out.write(f"{os.getpid()}\n")
