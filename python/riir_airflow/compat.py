"""Opt-in import alias: `import airflow...` resolves to `riir_airflow...` so unmodified DAG files load.

Enable it with `riir_airflow.compat.install()`, or for a whole interpreter with the environment variable
`RIIR_AIRFLOW_COMPAT=1` (read by the `riir-airflow` command). No top-level `airflow` package is ever installed.

What `airflow.X` resolves to, with the alias on (docs/providers.md says the same for users):
- `airflow` and every `airflow.X` riir_airflow has: riir_airflow's module (same objects, the name stays `airflow.X`).
  This holds even when Apache Airflow is installed in the same environment: the alias sits first on `sys.meta_path`
  and `airflow.__path__` is riir_airflow's directory, so none of Airflow's own core modules is ever loaded.
- `airflow.providers.*`: the installed provider distributions. They are namespace packages under
  `<site-packages>/airflow/providers/`, so `airflow.providers.__path__` lists those directories next to riir's.
  The one provider riir ships itself, `standard`, wins module by module: riir's module when riir has it (its
  operators are wired into riir's engine), the installed apache-airflow-providers-standard's module otherwise
  (e.g. `...standard.version_compat`, `...standard.get_provider_info`, its example DAGs).
- `airflow.__version__`, `airflow.version.version`: the Airflow version whose interface riir mirrors (3.3.x), so
  providers take their Airflow 3 code paths. riir's own version is `riir_airflow.__version__`.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from importlib._abc import Loader  # what importlib.abc.Loader is, without importlib.abc's own imports
from pathlib import Path
from types import ModuleType

from riir_airflow._version import AIRFLOW_VERSION

ENV_VAR = "RIIR_AIRFLOW_COMPAT"
PROVIDERS = "airflow.providers"

# Attributes of an alias module that differ from riir_airflow's module of the same path.
ALIAS_OVERRIDES: dict[str, dict[str, object]] = {"airflow": {"__version__": AIRFLOW_VERSION}}


def installed_provider_dirs(module_name: str) -> list[str]:
    """Directories of installed provider distributions for `airflow.providers[.X...]`, in `sys.path` order."""
    relative = module_name.split(".")
    found: list[str] = []
    for entry in sys.path:
        candidate = Path(entry or ".", *relative)
        if candidate.is_dir() and str(candidate) not in found:
            found.append(str(candidate))
    return found


class AliasModule(ModuleType):
    """`airflow.X` as seen by DAG code: every attribute is the one of `riir_airflow.X` (same objects, so classes are
    identical), while the module's own name stays `airflow.X` so messages read as they do under Airflow."""

    def __init__(self, name: str, target: ModuleType) -> None:
        super().__init__(name, target.__doc__)
        object.__setattr__(self, "_riir_target", target)
        for attr in ("__file__", "__all__"):
            if hasattr(target, attr):
                object.__setattr__(self, attr, getattr(target, attr))
        if hasattr(target, "__path__"):
            path = list(target.__path__)
            if name == PROVIDERS or name.startswith(PROVIDERS + "."):
                # Submodules riir does not ship come from the installed provider distributions.
                path += [p for p in installed_provider_dirs(name) if p not in path]
            object.__setattr__(self, "__path__", path)
        for attr, value in ALIAS_OVERRIDES.get(name, {}).items():
            object.__setattr__(self, attr, value)

    def __getattr__(self, name: str) -> object:
        value = getattr(object.__getattribute__(self, "_riir_target"), name)
        # Kept on the alias: DAG files read names through it by the thousand (`from airflow.sdk import DAG`), and
        # every read that reaches this method first paid a failed lookup and its formatted AttributeError. Modules
        # are not kept: the import system sets `airflow.X.Y` on its parent itself once it has imported it.
        if not isinstance(value, ModuleType):
            object.__setattr__(self, name, value)
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(object.__getattribute__(self, "_riir_target"))) | set(self.__dict__))


# importlib.abc imports importlib.resources (tempfile, shutil, ...), which every `riir-airflow` command would load
# for nothing: the loader subclasses the same Loader from where importlib.abc takes it; the finder follows the
# finder protocol (find_spec) as it is.
class _AliasLoader(Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return AliasModule(spec.name, importlib.import_module(self.target))

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the riir_airflow module is already executed."""


class AirflowAliasFinder:
    """Maps `airflow` and `airflow.X.Y` onto `riir_airflow` and `riir_airflow.X.Y` where riir_airflow has them.

    Names riir_airflow lacks are left to the normal path finders, which search the parent's `__path__`: riir's own
    directory for the core (so they are not found, whatever else is installed) and, below `airflow.providers`, the
    installed provider distributions too."""

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
    """Makes `import airflow...` load riir_airflow (idempotent). An `airflow` imported before without the alias
    (a namespace package of the provider distributions, with no `__version__`, no core) is forgotten first, so the
    next import gets riir's; modules that already hold the old one keep it."""
    if not is_installed():
        sys.meta_path.insert(0, AirflowAliasFinder())
    if "airflow" in sys.modules and not isinstance(sys.modules["airflow"], AliasModule):
        _forget_airflow_modules()


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, AirflowAliasFinder)]
    _forget_airflow_modules()


def _forget_airflow_modules() -> None:
    """Drops `airflow` and its submodules from sys.modules: the next import resolves them afresh."""
    for name in [n for n in sys.modules if n == "airflow" or n.startswith("airflow.")]:
        del sys.modules[name]


def install_from_env() -> None:
    """Installs the alias when RIIR_AIRFLOW_COMPAT is set to a true value."""
    if os.environ.get(ENV_VAR, "").strip().lower() in ("1", "true", "yes", "on"):
        install()
