"""The DAG files of a folder, by content, and a wait for the next change to it (for `riir-airflow standalone`).

A snapshot maps each DAG file (a `.py` file that `[core] dag_discovery_safe_mode` would parse, not excluded by
`.airflowignore`) to the SHA-256 of its content; comparing two snapshots tells which apps to start, restart and
drain. Content, not modification time, decides: saving a file unchanged restarts nothing.

Waiting for a change uses `watchfiles` (inotify on Linux, FSEvents on macOS, through the Rust `notify` crate):
an idle folder costs no wake-ups, and editors' save-by-rename, new sub-folders and event-queue overflows are
handled there rather than in a hand-written inotify binding. Without it (the `standalone` extra is not installed) the
folder is read once and not watched.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

# After a change is seen, wait until the folder has been quiet this long before acting on it: an editor's save or
# a `git checkout` touches files in bursts.
SETTLE_SECONDS = 0.5


def snapshot(folder: str, safe_mode: bool = True) -> dict[str, str]:
    """Absolute path -> SHA-256 of the content, for every DAG file under `folder` (or `folder` itself)."""
    # Imported here: every command imports this module to build the parser, and most must not load authoring.
    from riir_airflow.dag_processing.loader import list_py_files, might_contain_dag

    files: dict[str, str] = {}
    for path in list_py_files(folder, safe_mode):
        try:
            if not might_contain_dag(path, safe_mode):
                continue
            files[os.path.abspath(path)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except FileNotFoundError:  # deleted between the listing and the read: the next snapshot has it right
            continue
    return files


@dataclass(frozen=True)
class FolderChanges:
    added: list[str]
    changed: list[str]
    removed: list[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def compare(before: dict[str, str], after: dict[str, str]) -> FolderChanges:
    return FolderChanges(
        added=sorted(after.keys() - before.keys()),
        changed=sorted(p for p in after.keys() & before.keys() if after[p] != before[p]),
        removed=sorted(before.keys() - after.keys()),
    )


def can_watch() -> bool:
    try:
        import watchfiles  # noqa: F401
    except ImportError:
        return False
    return True


async def folder_events(folder: str) -> AsyncIterator[None]:
    """Yields once per burst of changes to `.py` or `.airflowignore` files under `folder`, then runs until the
    caller stops iterating."""
    import watchfiles

    class DagFileFilter(watchfiles.DefaultFilter):
        def __call__(self, change: watchfiles.Change, path: str) -> bool:
            name = os.path.basename(path)
            return (name.endswith(".py") or name == ".airflowignore") and super().__call__(change, path)

    async for _changes in watchfiles.awatch(
        folder, watch_filter=DagFileFilter(), debounce=int(SETTLE_SECONDS * 4000), step=int(SETTLE_SECONDS * 1000)
    ):
        yield
