"""A PID namespace for an app's task processes, with their fork server as its init: a task cannot name, so cannot
signal, any process outside it.

The app starts its fork server (app/fork_server.py) inside `children_in_new_namespace()`: `unshare(CLONE_NEWPID)`
leaves the app where it is but puts its next child, the fork server, in a new PID namespace as its PID 1; the app
then takes its own namespace back for any later child. Every task process the fork server forks is a member. As
the namespace's init the fork server also reaps the orphans of task processes, and when it exits the kernel ends
every process left in the namespace. (An init process of its own beside the fork server, forked from it, would
cost every app the pages a forked interpreter copies, ~1.4 MB of PSS, for nothing the fork server cannot do.)

Inside, `kill(pid)` of any process outside the namespace — its own app, another app — fails with ESRCH
(pidfd_send_signal on a /proc/<pid> descriptor with EINVAL), whatever the task's user; the fork server, PID 1 to
its tasks, gets from them only the signals it handles (SIGCHLD, which wakes it to reap): the kernel drops the
others, SIGKILL included. /proc is not remounted: a task still sees the machine's processes there, and
`os.getpid()` in a task is its number inside the namespace (small, and repeated by the next fork server), not the
pid the app records for the try. The fork server reports each task's pid as the app sees it (`outside_pid`).

This needs CAP_SYS_ADMIN (an app running as root); elsewhere the fork server works without it and the app says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import sys
from collections.abc import Iterator

CLONE_NEWPID = 0x20000000


@contextlib.contextmanager
def children_in_new_namespace() -> Iterator[bool]:
    """In the app, around the fork (or spawn) of its fork server: that child is PID 1 of a new PID namespace.
    Yields False, said once in the log, where the kernel does not allow it (no CAP_SYS_ADMIN: not root). A child
    forked inside never leaves the block (it exits), so only the app takes its namespace back."""
    if not sys.platform.startswith("linux"):
        yield False
        return
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    app = os.getpid()
    try:
        problem = _pidfd_problem() or (os.strerror(ctypes.get_errno()) if libc.unshare(CLONE_NEWPID) != 0 else None)
        if problem is not None:
            logging.getLogger("riir_airflow.app").warning(
                "Task processes share the machine's PID namespace (a task may signal other processes of its user): %s",
                problem,
            )
            yield False
            return
        try:
            yield True
        finally:
            if os.getpid() == app and libc.setns(own, CLONE_NEWPID) != 0:  # the app's later children: beside it
                errno = ctypes.get_errno()
                raise OSError(errno, f"setns(CLONE_NEWPID) back to the app's namespace: {os.strerror(errno)}")
    finally:
        os.close(own)


def _pidfd_problem() -> str | None:
    """Why `outside_pid` would not work here (no pidfd_open: Linux < 5.3), or None."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError) as exc:
        return f"pidfd_open: {exc}"
    return None


def is_namespace_init() -> bool:
    """True in a fork server started inside `children_in_new_namespace()` (PID 1 of its namespace)."""
    return os.getpid() == 1


def outside_pid(pid: int) -> int:
    """In the namespace's init: the pid of its child `pid` (a number inside the namespace) as the app sees it.
    /proc is the app's (not remounted), and a pidfd's fdinfo there gives the process's pid in that /proc's
    namespace (Linux >= 5.3)."""
    fd = os.pidfd_open(pid)
    try:
        with open(f"/proc/self/fdinfo/{fd}") as info:
            for line in info:
                if line.startswith("Pid:"):
                    return int(line.split()[1])
    finally:
        os.close(fd)
    raise OSError(f"no Pid line in the fdinfo of a pidfd of {pid}")
