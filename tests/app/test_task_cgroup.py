"""A try's pids cgroup: `kill_all` waits until the killed processes are gone before it removes the cgroup, and an app
that starts removes the cgroups an app killed before it could left behind, never those of a running app."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from riir_airflow.app.limits import TaskCgroup


def _cgroup_or_skip() -> TaskCgroup:
    cgroup = TaskCgroup.create(16)
    if cgroup is None:
        pytest.skip("no writable pids cgroup on this machine")
    return cgroup


def _sleeper_in(cgroup: TaskCgroup, close: tuple[int, ...] = ()) -> int:
    """A process in `cgroup` that sleeps (a try's leftover); its pid once it has joined. It closes `close`."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            for fd in (ready_r, *close):
                os.close(fd)
            cgroup.join()
            os.write(ready_w, b"x")
            time.sleep(600)
        finally:
            os._exit(0)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"x"
    os.close(ready_r)
    return pid


def _gone_or_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_kill_all_waits_for_the_killed_processes_then_removes_the_cgroup() -> None:
    cgroup = _cgroup_or_skip()
    pids = [_sleeper_in(cgroup) for _ in range(3)]
    try:
        assert sorted(cgroup.pids()) == sorted(pids)
        assert cgroup.kill_all() is True
        assert not cgroup.path.exists()  # removed at once: the processes were gone when it tried
        for pid in pids:
            assert os.waitpid(pid, 0)[1] & 0x7F == signal.SIGKILL
    finally:
        for pid in pids:
            if not _gone_or_zombie(pid):
                os.kill(pid, signal.SIGKILL)
        cgroup.kill_all()


def test_an_app_sweeps_the_cgroups_of_apps_that_are_gone_and_keeps_the_others() -> None:
    ours = _cgroup_or_skip()  # made by this process, a running "app": kept
    report_r, report_w = os.pipe()
    app = os.fork()
    if app == 0:
        os.close(report_r)  # an app that is killed with a try running: its cgroup stays behind, the try in it
        try:
            cgroup = TaskCgroup.create(16)
            assert cgroup is not None
            leftover = _sleeper_in(cgroup, close=(report_w,))
            os.write(report_w, f"{cgroup.path}\n{leftover}".encode())
        finally:
            os._exit(0)
    os.close(report_w)
    with os.fdopen(report_r) as report:
        path, leftover = report.read().split("\n")
    os.waitpid(app, 0)
    stale = TaskCgroup(Path(path))
    # A cgroup named the old way (no start time) by an app whose pid is free now.
    free_pid = app
    old_style = ours.path.parent / f"try-{free_pid}-0badcafe"
    old_style.mkdir()
    try:
        assert stale.path.exists() and stale.pids() == [int(leftover)]
        removed = TaskCgroup.sweep_stale()
        assert stale.path in removed and old_style in removed
        assert not stale.path.exists() and not old_style.exists()
        assert _gone_or_zombie(int(leftover))  # the killed app's try went with its cgroup
        assert ours.path.exists() and ours.path not in removed
    finally:
        for path in (stale.path, old_style):
            if path.exists():
                TaskCgroup(path).kill_all()
        ours.kill_all()
