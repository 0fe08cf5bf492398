"""The standard provider's hooks: `FSHook`, `SubprocessHook` and `PackageIndexHook` (index URLs for virtualenvs)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlparse

from riir_airflow.authoring.hook import BaseHook


class FSHook(BaseHook):
    """A file-system location: the `path` in the extra of an `fs` connection (default `fs_default`)."""

    conn_name_attr = "fs_conn_id"
    default_conn_name = "fs_default"
    conn_type = "fs"
    hook_name = "File (path)"

    def __init__(self, fs_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn = self.get_connection(fs_conn_id)
        self.basepath: str = self.conn.extra_dejson.get("path", "")

    def get_conn(self) -> None:
        return None

    def get_path(self) -> str:
        return self.basepath

    def test_connection(self) -> tuple[bool, str]:
        path = self.get_path()
        if not path:
            return False, "File Path is undefined."
        if not Path(path).exists():
            return False, f"Path {path} does not exist."
        return True, f"Path {path} is existing."

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {"hidden_fields": ["host", "schema", "port", "login", "password", "extra"], "relabeling": {},
                "placeholders": {}}  # fmt: skip


class SubprocessResult(NamedTuple):
    exit_code: int
    output: str


@contextlib.contextmanager
def working_directory(cwd: str | None = None) -> Iterator[str]:
    """`cwd`, or a temporary directory removed afterwards."""
    if cwd is not None:
        yield cwd
        return
    with tempfile.TemporaryDirectory(prefix="airflowtmp") as tmp:
        yield tmp


class SubprocessHook(BaseHook):
    """Runs a command in its own session, logging each output line; the result holds the last line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sub_process: subprocess.Popen[bytes] | None = None

    def run_command(
        self, command: list[str], env: dict[str, str] | None = None, output_encoding: str = "utf-8",
        cwd: str | None = None,
    ) -> SubprocessResult:  # fmt: skip
        with working_directory(cwd) as workdir:
            self.log.info("Running command: %s", command)
            self.sub_process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                env=env if env or env == {} else os.environ,
                start_new_session=True,
                restore_signals=True,
            )
            line = ""
            stdout = self.sub_process.stdout
            assert stdout is not None
            try:
                for raw in iter(stdout.readline, b""):
                    line = raw.decode(output_encoding, errors="backslashreplace").rstrip()
                    self.log.info("%s", line)
                self.sub_process.wait()
            except Exception:
                stdout.close()
                raise
            # Not closed on BaseException (task timeout): on_kill -> send_sigterm still has to reach the child.
            stdout.close()
            self.log.info("Command exited with return code %s", self.sub_process.returncode)
            return SubprocessResult(exit_code=self.sub_process.returncode, output=line)

    def send_sigterm(self) -> None:
        """SIGTERM to the command's whole process group."""
        if self.sub_process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getpgid(self.sub_process.pid), signal.SIGTERM)


class PackageIndexHook(BaseHook):
    """A Python package index (its URL in the connection's host, login/password as basic auth) for virtualenvs."""

    conn_name_attr = "pi_conn_id"
    default_conn_name = "package_index_default"
    conn_type = "package_index"
    hook_name = "Package Index (Python)"

    def __init__(self, pi_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pi_conn_id = pi_conn_id
        self.conn = None

    @staticmethod
    def get_ui_field_behaviour() -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "port", "extra"],
            "relabeling": {"host": "Package Index URL"},
            "placeholders": {
                "host": "Example: https://my-package-mirror.net/pypi/repo-name/simple",
                "login": "Username for package index",
                "password": "Password for package index (will be masked)",
            },
        }

    @staticmethod
    def _get_basic_auth_conn_url(index_url: str, user: str | None, password: str | None) -> str:
        url = urlparse(index_url)
        host = url.netloc.split("@")[-1]
        if user:
            host = f"{quote(user)}:{quote(password)}@{host}" if password else f"{quote(user)}@{host}"
        return url._replace(netloc=host).geturl()

    def get_conn(self) -> Any:
        return self.get_connection_url()

    def get_connection_url(self) -> Any:
        """The index URL with the connection's credentials in it."""
        conn = self.get_connection(self.pi_conn_id)
        if not conn.host:
            raise ValueError("Please provide an index URL.")
        return self._get_basic_auth_conn_url(conn.host, conn.login, conn.password)

    def test_connection(self) -> tuple[bool, str]:
        conn_url = self.get_connection_url()
        proc = subprocess.run(
            ["pip", "search", "not-existing-test-package", "--no-input", "--index", conn_url],
            check=False,
            capture_output=True,
        )
        conn = self.get_connection(self.pi_conn_id)
        # pip exits 23 when it searched and found nothing, which is what this probe expects.
        if proc.returncode not in (0, 23):
            return False, f"Connection test to {conn.host} failed. Error: {proc.stderr!s}"
        return True, f"Connection to {conn.host} tested successfully!"
