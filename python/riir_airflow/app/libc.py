"""The C library (prctl, capset, unshare, mount, malloc_trim...) as ctypes sees it, loaded once per process tree.

Each `ctypes.CDLL(None)` defines a new function-pointer class and looks its functions up again. Made in a process
forked from a parent that shares its memory copy-on-write (a fork server, an app forked from the zygote), those new
objects and the writes to the classes they derive from land in pages shared with the parent, which the kernel then
copies. One handle made before the fork serves every process after it.
"""

from __future__ import annotations

import ctypes
import functools


@functools.cache
def libc() -> ctypes.CDLL:
    """The process's C library with errno kept (`ctypes.get_errno()` after a failed call)."""
    return ctypes.CDLL(None, use_errno=True)
