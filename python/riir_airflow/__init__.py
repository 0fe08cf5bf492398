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

__all__ = ["__version__"]
