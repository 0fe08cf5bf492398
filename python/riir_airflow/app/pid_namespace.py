"""A PID namespace for an app's task processes: a task cannot name, so cannot signal, any process outside it.

The fork server (app/fork_server.py) calls `new_pid_namespace()` and `fork_namespace_init()` once, before it forks
any task process: `unshare(CLONE_NEWPID)` leaves the fork server where it is but puts its next children in a new
PID namespace. The first child is that namespace's init (PID 1 inside): it does nothing but reap the orphans of task
processes, and it exits when the fork server goes, which ends every process left in the namespace. Every task
process forked after it lands in the namespace; the fork server, outside, sees their real pids, so its exit reports
and the app's bookkeeping (kill by pid, process group or cgroup) are unchanged.

Inside, `kill(pid)` of any process outside the namespace — its own app and fork server, another app — fails with
ESRCH (pidfd_send_signal on a /proc/<pid> descriptor with EINVAL), whatever the task's user. /proc is not remounted:
a task still sees the machine's processes there, and `os.getpid()` in a task is its number inside the namespace
(small, and repeated by the next fork server), not the pid the app records for the try.

This needs CAP_SYS_ADMIN (an app running as root); elsewhere the fork server keeps working without it and says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import sys

CLONE_NEWPID = 0x20000000
_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1
INIT_PROCESS_NAME = b"riir-pidns-init"  # /proc/PID/comm of the namespace's init (15 bytes at most)


def new_pid_namespace() -> None:
    """In the fork server, before it forks anything: its next child will be PID 1 of a new PID namespace, and all
    its children after that members of it. OSError when the kernel refuses (no CAP_SYS_ADMIN: not root)."""
    if not sys.platform.startswith("linux"):
        raise OSError("PID namespaces are a Linux feature")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWPID) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"unshare(CLONE_NEWPID): {os.strerror(errno)}")


def fork_namespace_init() -> int:
    """The first fork after `new_pid_namespace()`: the namespace's init. Call it once the fork server is as its
    tasks will be (undumpable, secret files masked): the init shares its mount namespace and its memory. Returns
    the init's pid as the fork server sees it."""
    libc = ctypes.CDLL(None, use_errno=True)
    template = os.getpid()
    pidfd = -1
    with contextlib.suppress(OSError, AttributeError):  # Linux >= 5.3; PR_SET_PDEATHSIG alone otherwise
        pidfd = os.pidfd_open(template)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            _be_init(libc, pidfd)
        finally:
            os._exit(0)
    if pidfd >= 0:
        os.close(pidfd)
    return pid


def _be_init(libc: ctypes.CDLL, template_pidfd: int) -> None:
    """PID 1 of the namespace: reaps orphans (SIGCHLD ignored: the kernel reaps them), lives as long as the fork
    server. Tasks cannot signal it (the kernel drops signals from inside the namespace that it has no handler for)."""
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    libc.prctl(_PR_SET_NAME, ctypes.c_char_p(INIT_PROCESS_NAME), 0, 0, 0)
    keep = template_pidfd if template_pidfd >= 0 else 2
    os.closerange(3, keep)
    os.closerange(max(keep + 1, 3), os.sysconf("SC_OPEN_MAX"))
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    if template_pidfd < 0:
        while True:  # PR_SET_PDEATHSIG ends it
            signal.pause()
    poller = select.poll()
    poller.register(template_pidfd, select.POLLIN)  # readable once the fork server has exited
    while not poller.poll():
        pass
