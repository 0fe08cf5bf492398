"""riir-airflow: an Airflow-compatible orchestrator with a Rust core.

Importing the package checks that the compiled extension `riir_airflow._core` was built from the same version as
this Python source, so a forgotten rebuild fails loudly at import time instead of misbehaving later.
"""

from __future__ import annotations

from riir_airflow._version import __version__

REBUILD_HINT = "run `make build-dev` to rebuild it"


def _check_core(expected: str) -> None:
    try:
        from riir_airflow import _core
    except ImportError as exc:
        raise ImportError(f"riir_airflow's compiled extension riir_airflow._core is missing: {REBUILD_HINT}") from exc
    built = getattr(_core, "__version__", None)
    if built != expected:
        raise ImportError(
            f"riir_airflow._core is stale: it was built from version {built}, "
            f"but the Python package is version {expected}; {REBUILD_HINT}"
        )


_check_core(__version__)

# `from airflow import DAG` (through the compat alias) and `from riir_airflow import DAG` work as in Airflow;
# loaded on first use so that importing the package stays cheap.
_LAZY = {
    "DAG": "riir_airflow.authoring.dag",
    "Asset": "riir_airflow.schedules.assets",
    "Dataset": "riir_airflow.schedules.assets:Asset",
    "XComArg": "riir_airflow.authoring.xcom_arg",
}


def __getattr__(name: str) -> object:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'riir_airflow' has no attribute {name!r}")
    import importlib

    # `airflow.Dataset` is Airflow 2's name for what is now `Asset`.
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr or name)


__all__ = ["DAG", "Asset", "Dataset", "XComArg", "__version__"]
