"""Import a class or function from its dotted path (`"package.module.Name"`)."""

from __future__ import annotations

import importlib
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
