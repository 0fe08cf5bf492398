"""Airflow's `airflow.utils.deprecation_tools`: old import paths that still resolve, with a warning.

Provider packages call `add_deprecated_classes({...}, __name__)` in their `__init__` to keep names importable from
modules that moved (e.g. the common-messaging provider's `providers.sqs`). Each key names a module below the package
(made up on the fly when it has no file; the package itself when the key is the package's own name), each value maps
attribute names (or "*" for every attribute) to the dotted path they moved to.
"""

from __future__ import annotations

import functools
import importlib
import sys
import warnings
from types import ModuleType
from typing import Any


class DeprecatedImportWarning(FutureWarning):
    """An import from a path that moved (Airflow's warning class for deprecated imports)."""


def getattr_with_deprecation(
    imports: dict[str, str],
    module: str,
    override_deprecated_classes: dict[str, str],
    extra_message: str,
    name: str,
    message_override: str = "",
) -> Any:
    """The attribute `name` of the deprecated `module`, imported from where `imports` says it moved, warning once."""
    target = imports.get(name)
    if not target and "*" in imports and not (name.startswith("__") and name.endswith("__")):
        target = f"{imports['*']}.{name}"
    if not target:
        raise AttributeError(f"The module `{module!r}` has no attribute `{name!r}`")
    shown = (override_deprecated_classes or {}).get(name, target)
    if message_override:
        message = message_override.format(module=module, name=name, target=shown)
    else:
        message = f"The `{module}.{name}` attribute is deprecated. Please use `{shown!r}`."
        if extra_message:
            message += f" {extra_message}."
    warnings.warn(message, DeprecatedImportWarning, stacklevel=2)
    new_module, attribute = target.rsplit(".", 1)
    try:
        return getattr(importlib.import_module(new_module), attribute)
    except ImportError as err:
        error = f"Could not import `{new_module}.{attribute}` while trying to import `{module}.{name}`."
        if extra_message:
            error += f" {extra_message}."
        raise ImportError(error) from err


def add_deprecated_classes(
    module_imports: dict[str, dict[str, str]],
    package: str,
    override_deprecated_classes: dict[str, dict[str, str]] | None = None,
    extra_message: str | None = None,
    message: str | None = None,
) -> None:
    """Makes each module of `module_imports` (below `package`, or `package` itself) resolve its moved names."""
    overrides = override_deprecated_classes or {}
    for name, imports in module_imports.items():
        full_name = package if name == package else f"{package}.{name}"
        getter = functools.partial(
            getattr_with_deprecation, imports, full_name, overrides.get(name, {}), extra_message or "",
            message_override=message or "",
        )  # fmt: skip
        existing = sys.modules.get(full_name)
        if existing is not None:
            previous = getattr(existing, "__getattr__", None)

            def chained(attr: str, _getter: Any = getter, _previous: Any = previous) -> Any:
                try:
                    return _getter(attr)
                except AttributeError:
                    if _previous is None:
                        raise
                    return _previous(attr)

            existing.__getattr__ = chained  # type: ignore[method-assign]
            continue
        module = ModuleType(full_name)
        module.__file__ = f"{full_name.replace('.', '/')}.py"
        module.__getattr__ = lambda attr, _getter=getter: _getter(name=attr)  # type: ignore[method-assign,misc]
        sys.modules[full_name] = module
