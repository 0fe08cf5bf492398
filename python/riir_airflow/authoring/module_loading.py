"""Import a class or function from its dotted path (`"package.module.Name"`)."""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from typing import Any


def import_string(dotted_path: str) -> Any:
    """The attribute named by the last component of `dotted_path`, from the module named by the rest."""
    try:
        module_path, name = dotted_path.rstrip().rsplit(".", 1)
    except ValueError:
        raise ImportError(f"{dotted_path} doesn't look like a module path") from None
    module = importlib.import_module(module_path)
    try:
        return getattr(module, name)
    except AttributeError:
        raise ImportError(f'Module "{module_path}" does not define a "{name}" attribute/class') from None


def qualname(obj: Any) -> str:
    """`module.QualName` of a class, function or instance (its class)."""
    target = obj if isinstance(obj, type) or (callable(obj) and hasattr(obj, "__qualname__")) else type(obj)
    return f"{target.__module__}.{target.__qualname__}"


def accepts_context(callback: Any) -> bool:
    """Whether `callback` takes a `context` parameter or **kwargs (unknown signatures count as yes)."""
    import inspect

    try:
        params = inspect.signature(callback).parameters
    except (ValueError, TypeError):
        return True
    return "context" in params or any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params.values())


def accepts_keyword_args(func: Any) -> bool:
    """Whether `func` takes any keyword argument (a named parameter or **kwargs)."""
    import inspect

    try:
        params = inspect.signature(func).parameters
    except (ValueError, TypeError):
        return True
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD)
    return any(p.kind in kinds for p in params.values())


def iter_namespace(ns: Any) -> Any:
    """The modules of a (namespace) package, as pkgutil.iter_modules reports them."""
    import pkgutil

    return pkgutil.iter_modules(ns.__path__, ns.__name__ + ".")


def is_valid_dotpath(path: str) -> bool:
    """Whether `path` looks like `package.subpackage.module`."""
    import re

    return (
        isinstance(path, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", path) is not None
    )


def entry_points_with_dist(group: str) -> Any:
    """(entry point, distribution) pairs of every installed distribution's entry points in `group`."""
    from importlib import metadata

    for dist in metadata.distributions():
        for entry in dist.entry_points:
            if entry.group == group:
                yield entry, dist


def fixup_decorator_warning_stack(func: Any, delta: int = 2) -> None:
    """Makes `warnings.warn` calls inside a decorated function point past the decorator (Airflow's helper)."""
    import sys
    import warnings

    if func.__globals__.get("warnings") is not sys.modules["warnings"]:
        return

    class _AutoStackLevel:
        def __getattr__(self, name: str) -> Any:
            return getattr(warnings, name)

        def warn(self, message: Any, category: Any = None, stacklevel: int = 1, source: Any = None) -> None:
            warnings.warn(message, category, stacklevel + delta, source)

    func.__globals__["warnings"] = _AutoStackLevel()


def unique_module_name(path: str) -> str:
    """`unusual_prefix_<sha1 of path>_<file stem>`, so two files with one name never share a module."""
    digest = hashlib.sha1(path.encode("utf-8"), usedforsecurity=False).hexdigest()
    if path.endswith(".py"):  # a DagBag names every file it imports: `Path(path).stem` without building a Path
        name = os.path.basename(path)
        stem = name[:-3] if len(name) > 3 else name
    else:
        stem = Path(path).stem
    return f"unusual_prefix_{digest}_{stem.replace('.', '_').replace('-', '_')}"
