"""BashOperator: runs a bash command; the last line of output is the return value."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Container, Sequence
from typing import Any

from riir_airflow.authoring.baseoperator import BaseOperator
from riir_airflow.exceptions import AirflowException, AirflowSkipException


def run_command(
    command: list[str], env: dict[str, str] | None, encoding: str, cwd: str | None, log: Any
) -> tuple[int, str]:
    """Runs a command in its own session, logging each output line; returns (exit code, last line)."""
    with tempfile.TemporaryDirectory(prefix="airflowtmp") as tmp:
        proc = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd or tmp,
            env=env if env or env == {} else os.environ,
            start_new_session=True,
            restore_signals=True,
        )
        last = ""
        try:
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                last = raw.decode(encoding, errors="backslashreplace").rstrip()
                log.info("%s", last)
            proc.wait()
        except BaseException:
            # On a timeout or kill, take the whole process group down with us.
            try:
                os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
            except ProcessLookupError:
                pass
            raise
        finally:
            if proc.stdout is not None:
                proc.stdout.close()
        return proc.returncode, last


class BashOperator(BaseOperator):
    """Runs `bash_command` (a command, or a `.sh`/`.bash` template file) with bash."""

    template_fields: Sequence[str] = ("bash_command", "env", "cwd")
    template_fields_renderers = {"bash_command": "bash", "env": "json"}
    template_ext: Sequence[str] = (".sh", ".bash")
    ui_color = "#f0ede4"
    bash_command: str
    env: dict[str, str] | None
    output_encoding: str
    skip_on_exit_code: Container[int]
    cwd: str | None
    append_env: bool
    output_processor: Callable[[str], Any]

    def __init__(
        self,
        *,
        bash_command: str,
        env: dict[str, str] | None = None,
        append_env: bool = False,
        output_encoding: str = "utf-8",
        skip_on_exit_code: int | Container[int] | None = 99,
        cwd: str | None = None,
        output_processor: Callable[[str], Any] = lambda result: result,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._set_attributes(
            {
                "bash_command": bash_command,
                "env": env,
                "output_encoding": output_encoding,
                "skip_on_exit_code": (
                    skip_on_exit_code
                    if isinstance(skip_on_exit_code, Container)
                    else [skip_on_exit_code]
                    if skip_on_exit_code is not None
                    else []
                ),
                "cwd": cwd,
                "append_env": append_env,
                "output_processor": output_processor,
            }
        )

    def get_env(self, context: Any) -> dict[str, str]:
        from riir_airflow.authoring.current_context import context_to_airflow_vars

        system_env = os.environ.copy()
        env = self.env
        if env is None:
            env = system_env
        elif self.append_env:
            system_env.update(env)
            env = system_env
        env = dict(env)
        env.update(context_to_airflow_vars(context, in_env_var_format=True))
        return env

    def execute(self, context: Any) -> Any:
        bash_path = shutil.which("bash") or "bash"
        if self.cwd is not None:
            if not os.path.exists(self.cwd):
                raise AirflowException(f"Can not find the cwd: {self.cwd}")
            if not os.path.isdir(self.cwd):
                raise AirflowException(f"The cwd {self.cwd} must be a directory")
        env = self.get_env(context)
        command = str(self.bash_command)
        if command.endswith(tuple(self.template_ext)):
            # A rendered script file: write it out and run it, which avoids "argument list too long".
            with tempfile.NamedTemporaryFile(mode="w", dir=self.cwd, suffix=".sh", delete=False) as script:
                script.write(command)
            try:
                code, output = run_command([bash_path, script.name], env, self.output_encoding, self.cwd, self.log)
            finally:
                os.unlink(script.name)
        else:
            code, output = run_command([bash_path, "-c", command], env, self.output_encoding, self.cwd, self.log)
        if code in self.skip_on_exit_code:
            raise AirflowSkipException(f"Bash command returned exit code {code}. Skipping.")
        if code != 0:
            raise AirflowException(f"Bash command failed. The command returned a non-zero exit code {code}.")
        return self.output_processor(output)
