"""Opt-in import alias: `import airflow...` resolves to `riir_airflow...` so unmodified DAG files load.

Enable it with `riir_airflow.compat.install()`, or for a whole interpreter with the environment variable
`RIIR_AIRFLOW_COMPAT=1` (read by the `riir-airflow` command and by the `riir_airflow_compat.pth` start-up hook).
No top-level `airflow` package is ever installed: when real Apache Airflow is importable, the alias refuses to
shadow it unless forced.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from types import ModuleType

ENV_VAR = "RIIR_AIRFLOW_COMPAT"


class AliasModule(ModuleType):
    """`airflow.X` as seen by DAG code: every attribute is the one of `riir_airflow.X` (same objects, so classes are
    identical), while the module's own name stays `airflow.X` so messages read as they do under Airflow."""

    def __init__(self, name: str, target: ModuleType) -> None:
        super().__init__(name, target.__doc__)
        object.__setattr__(self, "_riir_target", target)
        for attr in ("__file__", "__path__", "__all__"):
            if hasattr(target, attr):
                object.__setattr__(self, attr, getattr(target, attr))

    def __getattr__(self, name: str) -> object:
        return getattr(object.__getattribute__(self, "_riir_target"), name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(object.__getattribute__(self, "_riir_target"))) | set(self.__dict__))


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return AliasModule(spec.name, importlib.import_module(self.target))

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the riir_airflow module is already executed."""


class AirflowAliasFinder(importlib.abc.MetaPathFinder):
    """Maps `airflow` and `airflow.X.Y` onto `riir_airflow` and `riir_airflow.X.Y`."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "airflow" and not fullname.startswith("airflow."):
            return None
        riir_name = "riir_airflow" + fullname[len("airflow") :]
        try:
            riir_spec = importlib.util.find_spec(riir_name)
        except ModuleNotFoundError:
            return None
        if riir_spec is None:
            return None
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(riir_name), is_package=riir_spec.submodule_search_locations is not None
        )


def is_installed() -> bool:
    return any(isinstance(finder, AirflowAliasFinder) for finder in sys.meta_path)


def install() -> None:
    """Makes `import airflow...` load riir_airflow (idempotent)."""
    if not is_installed():
        sys.meta_path.insert(0, AirflowAliasFinder())


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AirflowAliasFinder)]
    for name in [n for n in sys.modules if n == "airflow" or n.startswith("airflow.")]:
        del sys.modules[name]


def install_from_env() -> None:
    """Installs the alias when RIIR_AIRFLOW_COMPAT is set to a true value."""
    if os.environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on"):
        install()
