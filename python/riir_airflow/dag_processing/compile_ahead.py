"""Compiling a folder's DAG files a few at a time, ahead of importing them.

A DagBag imports its files one by one, and a first parse compiles each from source. Compiling one file, then running
it, then compiling the next alternates two large working sets (CPython's parser and compiler, then the interpreter
running operator constructors); each switch starts from caches the other filled. Compiling the next files in one go
before running them took about a seventh off a 1,000-file DagBag (measured on the benchmark's files), with the same
work done: every file is still compiled from source, once.

What a file's import sees is unchanged: the code handed to the import is the code of the bytes the import reads (the
file is re-read and compiled in its turn when it changed since, when its compile failed or when a `.pyc` may replace
the compile), and the time the compile took counts against the file's import timeout as if it had run in its turn.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import CodeType

# How many files are compiled in one go: enough for the switches to stop mattering (20 to 64 files measured about as
# well as the whole folder; 5 did not), few enough that the sources and code objects held at once stay small.
BATCH_FILES = 64


@dataclass(frozen=True, slots=True)
class PreparedFile:
    """One DAG file read, checked and compiled ahead of its import."""

    mtime: float
    source: bytes
    code: CodeType | None  # None: not compiled ahead (safe mode skips it, a .pyc exists, or compiling it failed)
    compile_seconds: float


class CompileAhead:
    """Hands out each file of `paths` (in order) read and compiled, compiling the next `BATCH_FILES` on a miss.

    `wanted(path, mtime)` says whether the DagBag will import a file (not when it is unchanged since its last load);
    `might_contain_dag(source)` is the safe-mode check (None: every file is imported)."""

    def __init__(
        self,
        paths: Sequence[str],
        wanted: Callable[[str, float], bool],
        might_contain_dag: Callable[[bytes], bool] | None,
    ) -> None:
        self._paths = paths
        self._position = {path: index for index, path in enumerate(paths)}
        self._wanted = wanted
        self._might_contain_dag = might_contain_dag
        self._prepared: dict[str, PreparedFile] = {}
        self._next = 0  # the first path not prepared yet
        self._pycache_folders: dict[str, bool] = {}

    def take(self, path: str) -> PreparedFile | None:
        """`path` as prepared ahead, or None (not one of the paths, or not worth preparing)."""
        prepared = self._prepared.pop(path, None)
        if prepared is None:
            index = self._position.get(path)
            if index is None or index < self._next:
                return None
            self._prepare(self._paths[index : index + BATCH_FILES])
            self._next = index + BATCH_FILES
            prepared = self._prepared.pop(path, None)
        return prepared

    def _prepare(self, paths: Sequence[str]) -> None:
        self._prepared.clear()  # (files skipped since: nobody asks for them any more)
        for path in paths:
            try:
                mtime = os.path.getmtime(path)
                if not self._wanted(path, mtime):
                    continue
                with open(path, "rb") as f:
                    source = f.read()
            except OSError:
                continue  # (its turn reports it, as without compiling ahead)
            code = None
            compile_seconds = 0.0
            if (self._might_contain_dag is None or self._might_contain_dag(source)) and not self._has_bytecode(path):
                start = time.perf_counter()
                try:
                    code = compile(source, path, "exec", dont_inherit=True)
                except Exception:
                    code = None  # compiled again in its turn, whose import reports the error where it always does
                compile_seconds = time.perf_counter() - start
            self._prepared[path] = PreparedFile(mtime, source, code, compile_seconds)

    def _has_bytecode(self, path: str) -> bool:
        """True when a `.pyc` of `path` may exist: its import may then read it instead of compiling (a re-parse).
        Without a `__pycache__` folder next to the file (looked up once per folder), there is none."""
        if sys.pycache_prefix is None:
            folder = os.path.dirname(path)
            present = self._pycache_folders.get(folder)
            if present is None:
                present = self._pycache_folders[folder] = os.path.isdir(os.path.join(folder, "__pycache__"))
            if not present:
                return False
        return os.path.exists(importlib.util.cache_from_source(path))
