"""Creating virtual environments and the script that runs a callable inside another interpreter.

The counterpart of Airflow's `airflow.providers.standard.utils.python_virtualenv`: the venv is made with the
interpreter's own `venv` module (or `uv venv` when `[standard] venv_install_method` says so, or is `auto` and `uv`
is on PATH), requirements are installed with the venv's pip (or `uv pip`), and the callable runs in a generated
script that reads its arguments from a pickle file and writes its result to another — the same files and the
same argv order as Airflow's script, so what a callable sees there is what it sees under Airflow.
"""

from __future__ import annotations

import ast
import logging
import os
import shlex
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

log = logging.getLogger("airflow.providers.standard.utils.python_virtualenv")

# The script run by the other interpreter. argv: 1 pickled {"args", "kwargs"}, 2 pickled result (left empty for
# None), 3 string args (one per line), 4 termination log (the exception text when the callable raised).
SCRIPT_TEMPLATE = """\
from __future__ import annotations

import {{ pickling_library }}
import sys
import os

# Tells code that checks for it (as Airflow's settings module does) that it runs inside an operator's venv.
os.environ["PYTHON_OPERATORS_VIRTUAL_ENV_MODE"] = "1"
{% if expect_airflow %}
try:
    from airflow.plugins_manager import integrate_macros_plugins
    integrate_macros_plugins()
except ImportError:
    pass
{% endif %}

# Script
{{ python_callable_source }}
{% if modified_dag_module_name is defined %}
# The callable was defined in the DAG file: make its module importable by name so pickles referring to it load.
import types

{{ modified_dag_module_name }} = types.ModuleType("{{ modified_dag_module_name }}")
{{ modified_dag_module_name }}.{{ python_callable }} = {{ python_callable }}
sys.modules["{{ modified_dag_module_name }}"] = {{ modified_dag_module_name }}
{% endif %}
{% if op_args or op_kwargs %}
with open(sys.argv[1], "rb") as file:
    arg_dict = {{ pickling_library }}.load(file)
{% else %}
arg_dict = {"args": [], "kwargs": {}}
{% endif %}

# Read string args
with open(sys.argv[3], "r") as file:
    virtualenv_string_args = list(map(lambda x: x.strip(), list(file)))

try:
    res = {{ python_callable }}(*arg_dict["args"], **arg_dict["kwargs"])
except Exception as e:
    with open(sys.argv[4], "w") as file:
        file.write(str(e))
    raise

# Write output
with open(sys.argv[2], "wb") as file:
    if res is not None:
        {{ pickling_library }}.dump(res, file)
"""


def write_python_script(jinja_context: dict[str, Any], filename: str) -> None:
    """Renders SCRIPT_TEMPLATE with `jinja_context` into `filename` (undefined names are errors, not blanks)."""
    import jinja2  # only when a virtualenv task runs

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    Path(filename).write_text(environment.from_string(SCRIPT_TEMPLATE).render(**jinja_context))


def remove_task_decorator(python_source: str, task_decorator_name: str) -> str:
    """The function's source without `@task.<kind>(...)`, `@setup`, `@teardown`, `@task.skip_if/run_if` lines.

    The script defines the function again in the other interpreter, where those decorators (and riir) don't exist.
    """
    names = {"setup", "teardown", "task.skip_if", "task.run_if", task_decorator_name.strip("@")}

    def dotted(node: ast.expr) -> str | None:
        if isinstance(node, ast.Call):
            return dotted(node.func)
        if isinstance(node, ast.Name):
            return node.id
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            return f"{node.value.id}.{node.attr}"
        return None

    tree = ast.parse(python_source)
    lines = python_source.splitlines(keepends=True)
    drop: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if dotted(decorator) in names:
                    # A decorator line starts with "@" one line above its expression's first line.
                    drop.update(range(decorator.lineno - 1, (decorator.end_lineno or decorator.lineno)))
    return "".join(line for index, line in enumerate(lines) if index not in drop)


def decorated_function_source(source: str, task_decorator_name: str) -> str:
    """Airflow's DecoratedOperator.get_python_source: comment lines dropped, dedented, task decorators removed."""
    kept = [line for line in source.splitlines() if not line.strip().startswith("#")]
    return remove_task_decorator(textwrap.dedent("\n".join(kept)) + "\n", task_decorator_name)


def _use_uv() -> bool:
    from riir_airflow.config import conf

    method = (conf.get("standard", "venv_install_method", fallback="auto") or "auto").lower()
    if method == "auto":
        return shutil.which("uv") is not None
    return method == "uv"


def _index_urls_to_uv_env_vars(index_urls: list[str] | None) -> dict[str, str]:
    if not index_urls:
        return {}
    env = {"UV_DEFAULT_INDEX": index_urls[0]}
    if len(index_urls) > 1:
        env["UV_INDEX"] = " ".join(index_urls[1:])
    return env


def _write_pip_conf(conf_file: Path, index_urls: list[str]) -> None:
    """pip.conf inside the venv: the index URLs given, or `no-index` when the list is empty (as Airflow does)."""
    if index_urls:
        options = f"index-url = {index_urls[0]}"
        if len(index_urls) > 1:
            options += f"\nextra-index-url = {' '.join(index_urls[1:])}"
    else:
        options = "no-index = true"
    conf_file.write_text(f"[global]\n{options}")


def execute_in_subprocess(cmd: list[str], env: dict[str, str] | None = None) -> None:
    """Runs `cmd`, logging each line of its combined output; CalledProcessError on a non-zero exit."""
    log.info("Executing cmd: %s", " ".join(shlex.quote(c) for c in cmd))
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0, env=env) as proc:
        log.info("Output:")
        assert proc.stdout is not None
        with proc.stdout:
            for line in iter(proc.stdout.readline, b""):
                log.info("%s", line.decode(errors="replace").rstrip())
        exit_code = proc.wait()
    if exit_code != 0:
        raise subprocess.CalledProcessError(exit_code, cmd)


def prepare_virtualenv(
    venv_directory: str,
    python_bin: str,
    system_site_packages: bool,
    requirements_file_path: str | None = None,
    pip_install_options: list[str] | None = None,
    index_urls: list[str] | None = None,
) -> str:
    """Creates a venv in `venv_directory` and installs the requirements file into it; returns its python."""
    options = pip_install_options or []
    if index_urls is not None:
        _write_pip_conf(Path(venv_directory) / "pip.conf", index_urls)
    uv_env = {**os.environ, **_index_urls_to_uv_env_vars(index_urls)}
    if _use_uv():
        cmd = ["uv", "venv", "--allow-existing", "--seed", "--python", python_bin]
        if system_site_packages:
            cmd.append("--system-site-packages")
        execute_in_subprocess([*cmd, venv_directory], env=uv_env)
    else:
        cmd = [python_bin, "-m", "venv", venv_directory]
        if system_site_packages:
            cmd.append("--system-site-packages")
        execute_in_subprocess(cmd)
    if requirements_file_path:
        if _use_uv():
            install = ["uv", "pip", "install", "--python", f"{venv_directory}/bin/python"]
        else:
            install = [f"{venv_directory}/bin/pip", "install"]
        # The venv's own pip reads `<venv>/pip.conf` (its "site" configuration), which holds the index URLs.
        execute_in_subprocess([*install, *options, "-r", requirements_file_path], env=uv_env)
    return f"{venv_directory}/bin/python"
