"""The matrix providers' own example DAGs, taken from each provider's source distribution on PyPI (the wheels do
not ship them; `tests/system/<provider>/example_*.py` in the sdist), at the version installed in the project venv.

They end with `from tests_common.test_utils.system_tests import get_test_run` (and often use
`tests_common.test_utils.watcher.watcher`), helpers from Airflow's own test tree that no distribution ships: `shim/`
holds small stand-ins with the same behaviour, put on PYTHONPATH for both Airflow and riir.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHIM = HERE / "shim"
CACHE = Path(os.environ.get("RIIR_COMPAT_CACHE_ROOT", Path.home() / ".cache" / "riir-airflow" / "compat"))
SDIST_DIR = CACHE / "provider-sdists"


def sdist_examples(dist: str) -> Path:
    """`tests/system/` of `dist`'s sdist (the installed version), extracted once into the cache."""
    version = importlib.metadata.version(dist)
    target = SDIST_DIR / f"{dist}-{version}"
    if (target / ".complete").exists():
        return target
    with tempfile.TemporaryDirectory(prefix="riir-sdist-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", tmp,
             f"{dist}=={version}"],
            check=True,
        )  # fmt: skip
        (archive,) = Path(tmp).glob("*.tar.gz")
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if "/tests/system/" in m.name and m.isfile()]
            for member in members:
                member.name = member.name.split("/tests/system/", 1)[1]
            tar.extractall(target, members=members, filter="data")
    (target / ".complete").write_text(version + "\n")
    return target


def example_file(dist: str, relative: str) -> Path:
    path = sdist_examples(dist) / relative
    if not path.exists():
        raise FileNotFoundError(f"{dist}: no {relative} in its sdist's tests/system/")
    return path
