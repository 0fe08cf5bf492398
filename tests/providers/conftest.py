"""Provider tests need the matrix installed in this environment: the session installs what is missing with
`riir-airflow providers install` (so a fresh checkout works; `make install` does the same up front)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from tests.providers.matrix import MATRIX


def missing_providers() -> list[str]:
    missing = []
    for name in MATRIX:
        try:
            importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
    return missing


@pytest.fixture(scope="session", autouse=True)
def provider_matrix() -> None:
    missing = missing_providers()
    if missing:
        subprocess.run(
            [sys.executable, "-m", "riir_airflow", "providers", "install", *missing], check=True, timeout=900
        )
        importlib.invalidate_caches()
        from riir_airflow.plugins.providers_manager import ProvidersManager

        ProvidersManager.reset()
    for name in ("apache-airflow", "apache-airflow-core", "apache-airflow-task-sdk"):
        with pytest.raises(importlib.metadata.PackageNotFoundError):
            importlib.metadata.version(name)
