"""Files that hold secrets (passwords, keys) are born owner-only and appear whole.

The content goes to a temporary file in the same folder opened with `O_CREAT | O_EXCL` and mode 0600, so there is
no moment in which the file exists with wider permissions (a `write_text` then `chmod` leaves one), and it is then
renamed over the target, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SECRET_FILE_MODE = 0o600


def write_secret_file(path: Path, content: str | bytes) -> None:
    """Atomically create or replace `path` with `content`, mode 0600, owned by the current user."""
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, SECRET_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
