"""DagBag: loads DAG files the way Airflow's does, collecting per-file import errors instead of raising."""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.util
import logging
import os
import re
import signal
import sys
import threading
import traceback
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any

from riir_airflow import core_settings as settings
from riir_airflow.authoring.context_stack import DagContext
from riir_airflow.authoring.dag import DAG
from riir_airflow.authoring.module_loading import unique_module_name
from riir_airflow.dag_processing.compile_ahead import CompileAhead
from riir_airflow.exceptions import AirflowDagDuplicatedIdException, AirflowTaskTimeout
from riir_airflow.gc_pause import paused_gc

log = logging.getLogger("airflow.models.dagbag.DagBag")


def might_contain_dag(path: str, safe_mode: bool) -> bool:
    """Airflow's heuristic: in safe mode only files mentioning "airflow" and "dag" (or "asset") are imported."""
    if not safe_mode:
        return True
    with open(path, "rb") as f:
        return source_might_contain_dag(f.read())


def source_might_contain_dag(source: bytes) -> bool:
    """`might_contain_dag` over a file's bytes already read."""
    content = source.lower()
    return b"airflow" in content and any(word in content for word in (b"dag", b"asset"))


class _PreReadSourceLoader(importlib.machinery.SourceFileLoader):
    """importlib's loader for a DAG file (the one Airflow's DagBag uses), handed the bytes already read for the
    might-contain-a-DAG check, so the file is read once, and possibly their code compiled ahead (see
    `compile_ahead`). Everything else is the stock loader's: a current .pyc in `__pycache__` is used instead, and one
    is written unless `sys.dont_write_bytecode`."""

    def __init__(self, fullname: str, path: str, source: bytes | None, code: CodeType | None = None) -> None:
        super().__init__(fullname, path)
        self._source: bytes | None = source
        self._code = code  # the code of exactly `source` (None: compiled here)
        self._code_source = source

    def get_data(self, path: str) -> bytes:
        # (asked for the .pyc first; the source is handed out once: a reload reads the file again)
        if path == self.path and self._source is not None:
            source, self._source = self._source, None
            return source
        return super().get_data(path)

    def get_code(self, fullname: str) -> CodeType | None:
        code = self._code
        if code is not None and sys.dont_write_bytecode and fullname == self.name:
            # Compiled ahead where no .pyc may replace it, and none is to be written: the stock path would only look
            # for a .pyc (two failing system calls), then hand the same bytes to `source_to_code` below.
            self._code = self._code_source = self._source = None
            return code
        return super().get_code(fullname)

    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> CodeType:  # type: ignore[override]
        # (where the stock `get_code` compiles; asked when it is to write a .pyc of the code)
        code = self._code
        if code is not None and data is self._code_source and path == self.path and _optimize == -1:
            self._code = self._code_source = None
            return code
        return super().source_to_code(data, path, _optimize=_optimize)


def _ignore_patterns(folder: Path) -> list[re.Pattern[str]]:
    ignore_file = folder / ".airflowignore"
    if not ignore_file.is_file():
        return []
    patterns = []
    for line in ignore_file.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            with contextlib.suppress(re.error):
                patterns.append(re.compile(line))
    return patterns


def list_py_files(folder: str, safe_mode: bool = True) -> list[str]:
    """Python files under a folder (sorted, honouring regexp `.airflowignore` files), or the file itself."""
    root = Path(folder)
    if root.is_file():
        return [str(root)]
    found: list[str] = []
    inherited: dict[Path, list[re.Pattern[str]]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(dirpath)
        patterns = inherited.get(here, []) + _ignore_patterns(here)
        kept = []
        for name in sorted(dirnames):
            rel = str((here / name).relative_to(root))
            if name != "__pycache__" and not any(p.search(rel) for p in patterns):
                kept.append(name)
                inherited[here / name] = patterns
        dirnames[:] = kept
        for name in sorted(filenames):
            path = here / name
            rel = str(path.relative_to(root))
            if name.endswith(".py") and not any(p.search(rel) for p in patterns):
                found.append(str(path))
    return sorted(found)


class ImportTimeout:
    """Raises AirflowTaskTimeout in the main thread when an import runs too long (e.g. an endless loop).

    Entering it installs the SIGALRM handler (nested entries reuse it, so a folder installs it once: doing so around
    every file cost as much as the alarm itself); `arm(seconds, message)` then starts the clock for one import and
    `disarm()` stops it. Outside the main thread, where signals cannot be used, there is no timeout."""

    def __init__(self) -> None:
        self._message = ""
        self._depth = 0
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> ImportTimeout:
        if self._depth == 0 and threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGALRM, self._on_alarm)
            self._installed = True
        self._depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._installed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._installed = False

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        raise AirflowTaskTimeout(self._message)

    def arm(self, seconds: float, message: str) -> None:
        if seconds > 0 and self._installed:
            self._message = message
            signal.setitimer(signal.ITIMER_REAL, seconds)

    def disarm(self) -> None:
        if self._installed:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _with_dag_file_frame(text: str, exc: BaseException, filepath: str) -> str:
    """Airflow keeps only the last frames of an import error; when those are all inside the library, the line of
    the DAG file that caused it is added as the first frame, so the error always points into the user's file."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filepath]
    if not frames or f'File "{filepath}"' in text:
        return text
    frame = frames[-1]
    header, _, rest = text.partition("\n")
    shown = f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n'
    if frame.line:
        shown += f"    {frame.line}\n"
    return f"{header}\n{shown}{rest}"


class DagBag:
    """All DAGs found in a folder (or one file), plus the errors of the files that failed to load."""

    def __init__(
        self,
        dag_folder: str | os.PathLike[str] | None = None,
        include_examples: bool | None = None,
        safe_mode: bool | None = None,
        read_dags_from_db: bool = False,
        load_op_links: bool = True,
        collect_dags: bool = True,
        known_pools: set[str] | None = None,
        bundle_path: Path | None = None,
        bundle_name: str | None = None,
    ) -> None:
        self.dag_folder = str(dag_folder) if dag_folder is not None else settings.dags_folder()
        self.safe_mode = settings.dag_discovery_safe_mode() if safe_mode is None else safe_mode
        self.bundle_path = bundle_path
        self.bundle_name = bundle_name
        self.known_pools = known_pools
        self.dags: dict[str, DAG] = {}
        self.import_errors: dict[str, str] = {}
        self.captured_warnings: dict[str, tuple[str, ...]] = {}
        self.file_last_changed: dict[str, float] = {}
        self._import_timeout = ImportTimeout()
        self._compile_ahead: CompileAhead | None = None  # while `collect_dags` walks a folder
        if collect_dags:
            # Plugins first, as in Airflow: DAG files may import plugin modules (the plugins folder is on sys.path)
            # and use their macros and timetables.
            from riir_airflow.plugins.manager import ensure_plugins_loaded

            ensure_plugins_loaded()
            self.collect_dags(self.dag_folder, safe_mode=self.safe_mode)

    @property
    def dag_ids(self) -> list[str]:
        return list(self.dags)

    def size(self) -> int:
        return len(self.dags)

    def get_dag(self, dag_id: str) -> DAG | None:
        return self.dags.get(dag_id)

    def collect_dags(self, dag_folder: str | None = None, only_if_updated: bool = True, safe_mode: bool = True) -> None:
        folder = dag_folder or self.dag_folder
        # Helper modules next to DAG files import as plain modules, as under Airflow's dags folder.
        base = folder if os.path.isdir(folder) else os.path.dirname(os.path.abspath(folder))
        if base not in sys.path:
            sys.path.insert(0, base)
        paths = list_py_files(folder, safe_mode)

        def wanted(path: str, mtime: float) -> bool:
            return not (only_if_updated and self.file_last_changed.get(path) == mtime)

        # No collections (DAG files build long-lived objects only), and one SIGALRM handler for every file.
        with paused_gc(), self._import_timeout:
            self._compile_ahead = CompileAhead(paths, wanted, source_might_contain_dag if safe_mode else None)
            try:
                for path in paths:
                    try:
                        self.process_file(path, only_if_updated=only_if_updated, safe_mode=safe_mode)
                    except Exception:
                        log.exception("Failed to process %s", path)
            finally:
                self._compile_ahead = None

    def _error_key(self, path: str) -> str:
        if self.bundle_path is not None:
            with contextlib.suppress(ValueError):
                return str(Path(path).relative_to(self.bundle_path))
        return path

    def process_file(self, filepath: str, only_if_updated: bool = True, safe_mode: bool = True) -> list[DAG]:
        if filepath is None or not os.path.isfile(filepath):
            return []
        mtime = os.path.getmtime(filepath)
        if only_if_updated and self.file_last_changed.get(filepath) == mtime:
            return []
        if not filepath.endswith(".py"):
            return []
        # Read here for the safe-mode check (or ahead, with its code: see `compile_ahead`), then handed to the
        # loader; otherwise the loader reads it.
        prepared = self._compile_ahead.take(filepath) if self._compile_ahead is not None else None
        if prepared is not None and prepared.mtime != mtime:
            prepared = None  # (changed since it was read)
        source = None if prepared is None else prepared.source
        if safe_mode:
            if source is None:
                with open(filepath, "rb") as f:
                    source = f.read()
            if not source_might_contain_dag(source):
                return []
        if prepared is not None and prepared.code is not None:
            modules = self._import(filepath, source, prepared.code, prepared.compile_seconds)
        else:
            modules = self._import(filepath, source)
        found = []
        for dag in self._dags_of(modules):
            try:
                dag.validate()
                self.bag_dag(dag)
                found.append(dag)
            except Exception as exc:
                log.exception("Error bagging DAG from %s", filepath)
                self.import_errors[self._error_key(filepath)] = f"{type(exc).__name__}: {exc}"
        self.file_last_changed[filepath] = mtime
        return found

    def _import(
        self, filepath: str, source: bytes | None, code: CodeType | None = None, compile_seconds: float = 0.0
    ) -> list[ModuleType]:
        """Imports one file; `code` is `source` compiled ahead, in `compile_seconds` (part of the import's time)."""
        name = unique_module_name(filepath)
        sys.modules.pop(name, None)
        DagContext.autoregistered = []
        timeout = settings.dagbag_import_timeout()
        message = f"DagBag import timeout for {filepath} after {timeout}s."
        try:
            with self._import_timeout:
                # (a compile that took the whole timeout leaves a moment: the alarm then fires as the import starts)
                self._import_timeout.arm(max(timeout - compile_seconds, 1e-6) if timeout > 0 else timeout, message)
                try:
                    loader = _PreReadSourceLoader(name, filepath, source, code)
                    spec = importlib.util.spec_from_loader(name, loader)
                    assert spec is not None
                    module = importlib.util.module_from_spec(spec)
                    sys.modules[name] = module
                    loader.exec_module(module)
                    return [module]
                finally:
                    self._import_timeout.disarm()
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            # Anything the file raises (even SystemExit or a timeout) is an import error of that file only.
            DagContext.autoregistered = []
            sys.modules.pop(name, None)
            log.error("Failed to import: %s: %s", filepath, exc)
            depth = settings.dagbag_import_error_traceback_depth()
            self.import_errors[self._error_key(filepath)] = _with_dag_file_frame(
                traceback.format_exc(limit=-depth), exc, filepath
            )
            return []
        finally:
            DagContext._stack.clear()

    def _dags_of(self, modules: list[ModuleType]) -> list[DAG]:
        found: dict[int, DAG] = {}
        for module in modules:
            for value in module.__dict__.values():
                if isinstance(value, DAG):
                    found[id(value)] = value
        for dag in DagContext.autoregistered or []:
            found.setdefault(id(dag), dag)
        DagContext.autoregistered = None
        for dag in found.values():
            if modules:
                dag.fileloc = str(modules[0].__file__)
                dag.relative_fileloc = (
                    self._error_key(dag.fileloc) if self.bundle_path else os.path.basename(dag.fileloc)
                )
        return list(found.values())

    def bag_dag(self, dag: DAG) -> None:
        """Adds a DAG after checking it for cycles; a dag_id defined in two files is refused."""
        dag.check_cycle()
        dag.resolve_template_files()
        previous = self.dags.get(dag.dag_id)
        if previous is not None and previous.fileloc != dag.fileloc:
            raise AirflowDagDuplicatedIdException(dag_id=dag.dag_id, incoming=dag.fileloc, existing=previous.fileloc)
        self.dags[dag.dag_id] = dag

    def __repr__(self) -> str:
        return f"<DagBag {self.dag_folder}: {len(self.dags)} dags, {len(self.import_errors)} import errors>"
