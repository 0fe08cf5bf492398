"""PythonVirtualenvOperator and ExternalPythonOperator: the callable runs in another Python interpreter.

As in Airflow's standard provider: the callable's source is written into a script, its arguments (and the context
keys the other interpreter can unpickle) are pickled into a file, the interpreter runs the script in a subprocess,
and the pickled result comes back as the task's return value (then pushed as XCom like any other). A virtualenv is
made per try in a temporary folder, or once per requirements hash under `venv_cache_path`.

Inside the other interpreter the callable has no channel to its app, so `Variable`/`Connection`/XCom calls made
there do not reach riir's stores (Airflow's child re-opens its supervisor socket; riir's children don't share it).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Collection, Container, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, Literal

from riir_airflow.authoring.branch import BaseBranchOperator
from riir_airflow.authoring.standard.python import PythonOperator
from riir_airflow.authoring.standard.virtualenv import (
    execute_in_subprocess,
    prepare_virtualenv,
    write_python_script,
)
from riir_airflow.exceptions import (
    AirflowConfigException,
    AirflowException,
    AirflowSkipException,
    DeserializingResultError,
)

SerializerName = Literal["pickle", "cloudpickle", "dill"]
SERIALIZERS: tuple[SerializerName, ...] = ("pickle", "dill", "cloudpickle")

# A requirement line's distribution name (PEP 508: letters, digits, ".", "-", "_"), enough to spot
# apache-airflow and pendulum as Airflow does.
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _load_serializer(name: SerializerName) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        if name == "cloudpickle":
            raise ModuleNotFoundError(
                "Unable to import `cloudpickle` module. Please install it with: pip install cloudpickle"
            ) from None
        raise ModuleNotFoundError(f"Unable to import `{name}` module. Please make sure that it is installed.") from None


def _requirement_names(requirements: Iterable[str]) -> Iterator[str]:
    """Normalized distribution names of requirement lines (comments and blank lines skipped)."""
    for raw in requirements:
        for line in raw.splitlines():
            line = re.sub(r"#.*$", "", line).strip()
            if not line:
                continue
            match = _REQUIREMENT_NAME.match(line)
            if match is None:
                raise ValueError(f"Invalid requirement '{raw}': cannot read a package name from it")
            yield re.sub(r"[-_.]+", "-", match.group(1)).lower()


class _BasePythonVirtualenvOperator(PythonOperator):
    """What both operators share: the context keys passed across, pickled arguments, the script, its exit code."""

    BASE_SERIALIZABLE_CONTEXT_KEYS = {
        "ds", "ds_nodash", "expanded_ti_count", "inlets", "outlets", "run_id", "task_instance_key_str", "test_mode",
        "ts", "ts_nodash", "ts_nodash_with_tz", "next_ds", "next_ds_nodash", "prev_ds", "prev_ds_nodash",
        "tomorrow_ds", "tomorrow_ds_nodash", "yesterday_ds", "yesterday_ds_nodash", "task_reschedule_count",
        "partition_key",
    }  # fmt: skip
    PENDULUM_SERIALIZABLE_CONTEXT_KEYS = {
        "data_interval_end", "data_interval_start", "logical_date", "prev_data_interval_end_success",
        "prev_data_interval_start_success", "prev_start_date_success", "prev_end_date_success", "execution_date",
        "next_execution_date", "prev_execution_date", "prev_execution_date_success", "partition_date",
    }  # fmt: skip
    AIRFLOW_SERIALIZABLE_CONTEXT_KEYS = {
        "macros", "conf", "dag", "dag_run", "task", "params", "triggering_asset_events", "triggering_dataset_events",
    }  # fmt: skip

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        serializer: SerializerName | None = None,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: list[str] | None = None,
        expect_airflow: bool = True,
        skip_on_exit_code: int | Container[int] | None = None,
        env_vars: dict[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        if not isinstance(python_callable, types.FunctionType) or python_callable.__name__ == "<lambda>":
            raise ValueError(f"{type(self).__name__} only supports functions for python_callable arg")
        if inspect.isgeneratorfunction(python_callable):
            raise ValueError(f"{type(self).__name__} does not support using 'yield' in python_callable")
        super().__init__(
            python_callable=python_callable,
            op_args=op_args,
            op_kwargs=op_kwargs,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            **kwargs,
        )
        self.string_args = string_args or []
        serializer = serializer or "pickle"
        if serializer not in SERIALIZERS:
            raise AirflowException(
                f"Unsupported serializer {serializer!r}. Expected one of {', '.join(map(repr, SERIALIZERS))}"
            )
        self.serializer: SerializerName = serializer
        self.expect_airflow = expect_airflow
        if isinstance(skip_on_exit_code, Container):
            self.skip_on_exit_code: Container[int] = skip_on_exit_code
        else:
            self.skip_on_exit_code = [skip_on_exit_code] if skip_on_exit_code is not None else []
        self.env_vars = env_vars
        self.inherit_env = inherit_env

    @property
    def pickling_library(self) -> types.ModuleType:
        return _load_serializer(self.serializer)

    def _iter_serializable_context_keys(self) -> Iterator[str]:
        raise NotImplementedError

    def execute(self, context: Any) -> Any:
        # Only the context keys the other interpreter can unpickle go across.
        keys = set(self._iter_serializable_context_keys())
        return super().execute({k: v for k, v in context.items() if k in keys})

    def get_python_source(self) -> str:
        """The source of the callable, as it is written into the script."""
        return textwrap.dedent(inspect.getsource(self.python_callable))

    def _write_args(self, file: Path) -> None:
        if not (self.op_args or self.op_kwargs):
            return
        self.log.info("Use %r as serializer.", self.serializer)
        library = self.pickling_library
        try:
            file.write_bytes(library.dumps({"args": self.op_args, "kwargs": self.op_kwargs}))
        except Exception:
            bad_keys = [key for key, value in self.op_kwargs.items() if not _picklable(library, value)]
            if bad_keys:
                raise AirflowException(
                    f"Failed to serialize op_kwargs. The following keys contain objects that cannot be pickled: "
                    f"{bad_keys}. This often happens when render_template_as_native_obj=True and templates like "
                    "'{{ ti }}' resolve to live Airflow objects instead of strings. Use string representations or "
                    "pass only the specific attributes you need (e.g. '{{ ti.task_id }}', '{{ ti.run_id }}')."
                ) from None
            raise

    def _read_result(self, path: Path) -> Any:
        if path.stat().st_size == 0:
            return None
        try:
            return self.pickling_library.loads(path.read_bytes())
        except ValueError as error:
            raise DeserializingResultError() from error

    def _script_environment(self) -> dict[str, str]:
        env = dict(os.environ) if self.inherit_env else {}
        if self.env_vars:
            env.update(self.env_vars)
        # Airflow puts the DAG bundle's folder on PYTHONPATH so the callable can import modules that ship with DAGs.
        dag = getattr(self, "dag", None)
        folder = str(Path(dag.fileloc).parent) if dag is not None and getattr(dag, "fileloc", None) else None
        if folder:
            env["PYTHONPATH"] = f"{env['PYTHONPATH']}{os.pathsep}{folder}" if env.get("PYTHONPATH") else folder
        return env

    def _execute_python_callable_in_subprocess(self, python_path: Path) -> Any:
        from riir_airflow.authoring.module_loading import unique_module_name

        with TemporaryDirectory(prefix="venv-call") as tmp:
            tmp_dir = Path(tmp)
            op_kwargs: dict[str, Any] = dict(self.op_kwargs)
            if self.templates_dict:
                op_kwargs["templates_dict"] = self.templates_dict
            input_path, output_path = tmp_dir / "script.in", tmp_dir / "script.out"
            string_args_path, script_path = tmp_dir / "string_args.txt", tmp_dir / "script.py"
            termination_log_path = tmp_dir / "termination.log"
            self._write_args(input_path)
            string_args_path.write_text("\n".join(map(str, self.string_args)))
            jinja_context: dict[str, Any] = {
                "op_args": self.op_args,
                "op_kwargs": op_kwargs,
                "expect_airflow": self.expect_airflow,
                "pickling_library": self.serializer,
                "python_callable": self.python_callable.__name__,
                "python_callable_source": self.get_python_source(),
            }
            dag = getattr(self, "dag", None)
            fileloc = getattr(dag, "fileloc", None)
            if fileloc and inspect.getfile(self.python_callable) == fileloc:
                jinja_context["modified_dag_module_name"] = unique_module_name(fileloc)
            write_python_script(jinja_context, os.fspath(script_path))
            cmd = [
                os.fspath(python_path),
                os.fspath(script_path),
                os.fspath(input_path),
                os.fspath(output_path),
                os.fspath(string_args_path),
                os.fspath(termination_log_path),
                os.fspath(tmp_dir / "airflow_context.json"),
            ]
            try:
                execute_in_subprocess(cmd, env=self._script_environment())
            except subprocess.CalledProcessError as error:
                if error.returncode in self.skip_on_exit_code:
                    raise AirflowSkipException(f"Process exited with code {error.returncode}. Skipping.") from None
                if termination_log_path.exists() and termination_log_path.stat().st_size > 0:
                    message = f"Process returned non-zero exit status {error.returncode}.\n"
                    message += termination_log_path.read_text()
                    raise AirflowException(message) from None
                raise
            if 0 in self.skip_on_exit_code:
                raise AirflowSkipException("Process exited with code 0. Skipping.")
            return self._read_result(output_path)


def _remove_tree(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def _picklable(library: types.ModuleType, value: Any) -> bool:
    try:
        library.dumps(value)
    except Exception:
        return False
    return True


class PythonVirtualenvOperator(_BasePythonVirtualenvOperator):
    """Runs a function in a virtualenv created for the try (or cached under `venv_cache_path`).

    The function must be defined with `def` at module level (its source is copied into a script); imports go inside
    it. `virtualenv_string_args` is a global holding `string_args` there.
    """

    template_fields: Sequence[str] = tuple(
        {"requirements", "index_urls", "index_urls_from_connection_ids", "venv_cache_path"}.union(
            PythonOperator.template_fields
        )
    )
    template_ext: Sequence[str] = (".txt",)

    def __init__(
        self,
        *,
        python_callable: Callable[..., Any],
        requirements: Iterable[str] | str | None = None,
        python_version: str | None = None,
        serializer: SerializerName | None = None,
        system_site_packages: bool = True,
        pip_install_options: list[str] | None = None,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: list[str] | None = None,
        expect_airflow: bool = True,
        skip_on_exit_code: int | Container[int] | None = None,
        index_urls: Collection[str] | str | None = None,
        index_urls_from_connection_ids: Collection[str] | str | None = None,
        venv_cache_path: os.PathLike[str] | str | None = None,
        env_vars: dict[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        if python_version and str(python_version)[0] != str(sys.version_info.major) and (op_args or op_kwargs):
            raise AirflowException(
                "Passing op_args or op_kwargs is not supported across different Python "
                "major versions for PythonVirtualenvOperator. Please use string_args."
                f"Sys version: {sys.version_info}. Virtual environment version: {python_version}"
            )
        if python_version is not None and not isinstance(python_version, str):
            raise AirflowException("Passing non-string types (e.g. int or float) as python_version not supported")
        if not requirements:
            self.requirements: list[str] = []
        elif isinstance(requirements, str):
            self.requirements = [requirements]
        else:
            self.requirements = list(requirements)
        self.python_version = python_version
        self.system_site_packages = system_site_packages
        self.pip_install_options = pip_install_options
        self.index_urls: list[str] | None = [index_urls] if isinstance(index_urls, str) else _listed(index_urls)
        self.index_urls_from_connection_ids: list[str] | None = (
            [index_urls_from_connection_ids]
            if isinstance(index_urls_from_connection_ids, str)
            else _listed(index_urls_from_connection_ids)
        )
        self.venv_cache_path = venv_cache_path
        super().__init__(
            python_callable=python_callable,
            serializer=serializer,
            op_args=op_args,
            op_kwargs=op_kwargs,
            string_args=string_args,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            expect_airflow=expect_airflow,
            skip_on_exit_code=skip_on_exit_code,
            env_vars=env_vars,
            inherit_env=inherit_env,
            **kwargs,
        )

    def _requirements_list(self, exclude_cloudpickle: bool = False) -> list[str]:
        """The requirements to install, with the serializer's package added when the venv can't see the host's."""
        requirements = [str(dependency) for dependency in self.requirements]
        if not self.system_site_packages:
            if self.serializer == "cloudpickle" and not exclude_cloudpickle and "cloudpickle" not in requirements:
                requirements.append("cloudpickle")
            elif self.serializer == "dill" and "dill" not in requirements:
                requirements.append("dill")
        requirements.sort()  # a stable hash
        return requirements

    def _prepare_venv(self, venv_path: Path) -> None:
        requirements_file = venv_path / "requirements.txt"
        requirements_file.write_text("\n".join(self._requirements_list()))
        prepare_virtualenv(
            venv_directory=str(venv_path),
            python_bin=f"python{self.python_version}" if self.python_version else "python",
            system_site_packages=self.system_site_packages,
            requirements_file_path=str(requirements_file),
            pip_install_options=self.pip_install_options,
            index_urls=self.index_urls,
        )

    def _calculate_cache_hash(self, exclude_cloudpickle: bool = False) -> tuple[str, str]:
        """The cache folder's hash (8 hex digits of an MD5, as Airflow names it) and the text it hashes."""
        from riir_airflow.authoring.variable import Variable

        hash_dict = {
            "requirements_list": self._requirements_list(exclude_cloudpickle=exclude_cloudpickle),
            "pip_install_options": self.pip_install_options,
            "index_urls": self.index_urls,
            "cache_key": str(Variable.get("python_virtualenv_operator_cache_key", "")),
            "python_version": self.python_version,
            "system_site_packages": self.system_site_packages,
        }
        hash_text = json.dumps(hash_dict, sort_keys=True)
        return hashlib.md5(hash_text.encode(), usedforsecurity=False).hexdigest()[:8], hash_text

    def _ensure_venv_cache_exists(self, venv_cache_path: Path) -> Path:
        """`venv_cache_path/venv-<hash>`, created under a file lock unless a complete one is already there."""
        cache_hash, hash_data = self._calculate_cache_hash()
        venv_path = venv_cache_path / f"venv-{cache_hash}"
        self.log.info("Python virtual environment will be cached in %s", venv_path)
        venv_path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{venv_path}.lock", "w") as lock:
            # Another try (in this app or another) building the same venv waits here instead of racing it.
            fcntl.flock(lock, fcntl.LOCK_EX)
            marker = venv_path / "install_complete_marker.json"
            try:
                if venv_path.exists():
                    if marker.exists():
                        previous = marker.read_text(encoding="utf8")
                        if previous == hash_data:
                            self.log.info("Reusing cached Python virtual environment in %s", venv_path)
                            return venv_path
                        self.log.warning(
                            "Found a previous virtual environment in %s with different parameters (%s), "
                            "deleting and re-creating.",
                            venv_path,
                            previous,
                        )
                    else:
                        self.log.warning(
                            "Found a previous (probably partial installed) virtual environment in %s, "
                            "deleting and re-creating.",
                            venv_path,
                        )
                    _remove_tree(venv_path)
                venv_path.mkdir(parents=True)
                self._prepare_venv(venv_path)
                marker.write_text(hash_data, encoding="utf8")
            except Exception as error:
                _remove_tree(venv_path)
                raise AirflowException(f"Unable to create new virtual environment in {venv_path}") from error
            self.log.info("New Python virtual environment created in %s", venv_path)
            return venv_path

    def _retrieve_index_urls_from_connection_ids(self) -> None:
        """Index URLs from `package_index` connections, appended to `index_urls`."""
        from riir_airflow.authoring.standard.hooks import PackageIndexHook

        if self.index_urls is None:
            self.index_urls = []
        for conn_id in self.index_urls_from_connection_ids or []:
            self.index_urls.append(PackageIndexHook(conn_id).get_connection_url())

    def execute_callable(self) -> Any:
        if self.index_urls_from_connection_ids:
            self._retrieve_index_urls_from_connection_ids()
        if self.venv_cache_path:
            venv_path = self._ensure_venv_cache_exists(Path(self.venv_cache_path))
            return self._execute_python_callable_in_subprocess(venv_path / "bin" / "python")
        with TemporaryDirectory(prefix="venv") as tmp_dir:
            self._prepare_venv(Path(tmp_dir))
            return self._execute_python_callable_in_subprocess(Path(tmp_dir) / "bin" / "python")

    def _iter_serializable_context_keys(self) -> Iterator[str]:
        yield from self.BASE_SERIALIZABLE_CONTEXT_KEYS
        if self.system_site_packages:
            found_airflow = found_pendulum = True
        else:
            names = set(_requirement_names(self.requirements))
            found_airflow = bool(names & {"apache-airflow", "riir-airflow"})
            found_pendulum = found_airflow or "pendulum" in names
        if found_airflow:
            yield from self.AIRFLOW_SERIALIZABLE_CONTEXT_KEYS
            yield from self.PENDULUM_SERIALIZABLE_CONTEXT_KEYS
        elif found_pendulum:
            yield from self.PENDULUM_SERIALIZABLE_CONTEXT_KEYS


def _listed(value: Collection[str] | None) -> list[str] | None:
    return list(value) if isinstance(value, Collection) else None


class BranchPythonVirtualenvOperator(BaseBranchOperator, PythonVirtualenvOperator):
    """Runs the callable in a virtualenv; it returns the task id(s) (or task group ids) to follow."""

    def choose_branch(self, context: Any) -> Any:
        return PythonVirtualenvOperator.execute(self, context)


class ExternalPythonOperator(_BasePythonVirtualenvOperator):
    """Runs a function with an existing interpreter (`python`: absolute path of e.g. `VENV/bin/python`)."""

    template_fields: Sequence[str] = tuple({"python"}.union(PythonOperator.template_fields))

    def __init__(
        self,
        *,
        python: str,
        python_callable: Callable[..., Any],
        serializer: SerializerName | None = None,
        op_args: Collection[Any] | None = None,
        op_kwargs: Mapping[str, Any] | None = None,
        string_args: Iterable[str] | None = None,
        templates_dict: dict[str, Any] | None = None,
        templates_exts: list[str] | None = None,
        expect_airflow: bool = True,
        expect_pendulum: bool = False,
        skip_on_exit_code: int | Container[int] | None = None,
        env_vars: dict[str, str] | None = None,
        inherit_env: bool = True,
        **kwargs: Any,
    ) -> None:
        if not python:
            raise ValueError("Python Path must be defined in ExternalPythonOperator")
        self.python = python
        self.expect_pendulum = expect_pendulum
        super().__init__(
            python_callable=python_callable,
            serializer=serializer,
            op_args=op_args,
            op_kwargs=op_kwargs,
            string_args=string_args,
            templates_dict=templates_dict,
            templates_exts=templates_exts,
            expect_airflow=expect_airflow,
            skip_on_exit_code=skip_on_exit_code,
            env_vars=env_vars,
            inherit_env=inherit_env,
            **kwargs,
        )

    def execute_callable(self) -> Any:
        python_path = Path(self.python)
        if not python_path.exists():
            raise ValueError(f"Python Path '{python_path}' must exists")
        if not python_path.is_file():
            raise ValueError(f"Python Path '{python_path}' must be a file")
        if not python_path.is_absolute():
            raise ValueError(f"Python Path '{python_path}' must be an absolute path.")
        major = subprocess.check_output([self.python, "-c", "import sys; print(sys.version_info.major)"], text=True)
        if int(major.strip()) != sys.version_info.major and (self.op_args or self.op_kwargs):
            raise AirflowException(
                "Passing op_args or op_kwargs is not supported across different Python "
                "major versions for ExternalPythonOperator. Please use string_args."
                f"Sys version: {sys.version_info}. Virtual environment version: {major.strip()}"
            )
        return self._execute_python_callable_in_subprocess(python_path)

    def _iter_serializable_context_keys(self) -> Iterator[str]:
        yield from self.BASE_SERIALIZABLE_CONTEXT_KEYS
        if self.expect_airflow and self._target_has_matching_riir():
            yield from self.AIRFLOW_SERIALIZABLE_CONTEXT_KEYS
            yield from self.PENDULUM_SERIALIZABLE_CONTEXT_KEYS
        elif self._is_pendulum_installed_in_target_env():
            yield from self.PENDULUM_SERIALIZABLE_CONTEXT_KEYS

    def _is_pendulum_installed_in_target_env(self) -> bool:
        try:
            subprocess.check_call([self.python, "-c", "import pendulum"], stderr=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError) as error:
            if self.expect_pendulum:
                self.log.warning("When checking for Pendulum installed in virtual environment got %s", error)
                self.log.warning(
                    "Pendulum is not properly installed in the virtual environment "
                    "Pendulum context keys will not be available. "
                    "Please Install Pendulum or Airflow in your virtual environment to access them."
                )
            return False
        return True

    def _target_has_matching_riir(self) -> bool:
        """Whether the target interpreter can unpickle riir's context objects (dag, task, params...).

        Airflow asks the target for apache-airflow at its own version; here the objects are riir_airflow's, so
        the target needs riir-airflow at this version.
        """
        from riir_airflow._version import __version__

        script = "from importlib.metadata import version; print(version('riir-airflow'))"
        try:
            target_version = subprocess.check_output(
                [self.python, "-c", script], text=True, stderr=subprocess.DEVNULL
            ).strip()
            if target_version != __version__:
                raise AirflowConfigException(
                    f"The version of riir-airflow installed for the {self.python} ({target_version}) is different "
                    f"than the runtime version: {__version__}. Make sure your environment has the same version "
                    "installed as the runtime."
                )
        except (OSError, subprocess.CalledProcessError, AirflowConfigException) as error:
            if self.expect_airflow:
                self.log.warning("When checking for Airflow installed in virtual environment got %s", error)
                self.log.warning(
                    "This means that Airflow is not properly installed by %s. Airflow context keys will not be "
                    "available. Please Install riir-airflow %s in your environment to access them.",
                    self.python,
                    __version__,
                )
            return False
        return True


class BranchExternalPythonOperator(BaseBranchOperator, ExternalPythonOperator):
    """Runs the callable with an existing interpreter; it returns the task id(s) (or task group ids) to follow."""

    def choose_branch(self, context: Any) -> Any:
        return ExternalPythonOperator.execute(self, context)
