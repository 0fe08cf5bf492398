"""A small local Python image for container tests, built without a registry: the host's Debian `python3.11`, its
standard library, `/bin/sh`, `/bin/bash`, a few coreutils and the shared libraries they need, packed into a tarball
and `docker import`-ed.

The machine running the tests cannot pull images (no route to a registry), so this is how a container stage gets a
Python interpreter. The image is tagged `IMAGE` and built once per Docker daemon.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
from pathlib import Path

IMAGE = "riir-local/python:3.11-2"
PYTHON = Path("/usr/bin/python3.11")
STDLIB = Path("/usr/lib/python3.11")
SHELL = Path("/bin/dash")
BASH = Path("/bin/bash")  # `@task.docker` and `@task.kubernetes` run their script with `bash -c`
TOOLS = [Path("/bin/mkdir"), Path("/bin/cat"), Path("/bin/ls"), Path("/bin/rm")]  # what those scripts call


def _shared_libraries(binaries: list[Path]) -> set[Path]:
    """Every shared library (and the loader) the binaries link against, by `ldd`."""
    found: set[Path] = set()
    for binary in binaries:
        out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False).stdout
        for match in re.finditer(r"(/\S+\.so[\S]*)", out):
            found.add(Path(match.group(1)))
    return found


def rootfs_tarball() -> bytes:
    """The image's whole filesystem as an uncompressed tar."""
    dynload = sorted((STDLIB / "lib-dynload").glob("*.so"))
    libraries = _shared_libraries([PYTHON, SHELL, BASH, *TOOLS, *dynload])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:

        def add(path: Path, arcname: str | None = None) -> None:
            tar.add(str(path.resolve()), arcname=arcname or str(path).lstrip("/"), recursive=False)

        for folder in ("tmp", "data", "work", "etc", "usr/bin", "bin", "lib64", "lib/x86_64-linux-gnu"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if folder == "tmp" else 0o755
            tar.addfile(info)
        add(PYTHON)
        for alias in ("usr/bin/python3", "usr/bin/python", "bin/python", "bin/python3"):
            link = tarfile.TarInfo(alias)
            link.type, link.linkname = tarfile.SYMTYPE, "/usr/bin/python3.11"
            tar.addfile(link)
        add(SHELL, "bin/sh")
        add(BASH, "bin/bash")
        for tool in TOOLS:
            add(tool, f"bin/{tool.name}")
        for library in sorted(libraries):
            add(library)
        for dirpath, dirnames, filenames in os.walk(STDLIB):
            dirnames[:] = [d for d in dirnames if d not in ("test", "__pycache__", "idlelib", "tkinter", "ensurepip")]
            for name in filenames:
                add(Path(dirpath) / name)
        passwd = b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
        info = tarfile.TarInfo("etc/passwd")
        info.size = len(passwd)
        tar.addfile(info, io.BytesIO(passwd))
    return buffer.getvalue()


def ensure_python_image() -> str:
    """Builds the image unless the daemon has it; returns its tag."""
    present = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
    if present.returncode != 0:
        subprocess.run(
            ["docker", "import", "--change", 'CMD ["python3"]', "-", IMAGE],
            input=rootfs_tarball(), capture_output=True, check=True,
        )  # fmt: skip
    return IMAGE
