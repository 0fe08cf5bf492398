"""The import alias with providers installed: `airflow.providers.*` comes from the installed distributions, the
core from riir, `airflow.__version__` is the mirrored Airflow version. Checked in this environment (no
apache-airflow) and in one where apache-airflow 3.3.2 is installed as well (must-show 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import riir_airflow
from riir_airflow import compat
from riir_airflow._version import AIRFLOW_VERSION

ROOT = Path(__file__).resolve().parents[2]
DAGS = Path(__file__).resolve().parent / "dags"
sys.path.insert(0, str(ROOT / "compat-tests"))

pytestmark = pytest.mark.filterwarnings("ignore:DSA is deprecated")


@pytest.fixture
def alias() -> object:
    compat.install()
    yield
    compat.uninstall()


def test_versions(alias: None) -> None:
    import airflow
    import airflow.version

    assert airflow.__version__ == airflow.version.version == AIRFLOW_VERSION == "3.3.2"
    assert riir_airflow.__version__ != AIRFLOW_VERSION
    from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS, AIRFLOW_V_3_3_PLUS

    assert AIRFLOW_V_3_0_PLUS and AIRFLOW_V_3_3_PLUS
    out = subprocess.run([sys.executable, "-m", "riir_airflow", "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == riir_airflow.__version__


def test_alias_names_are_riirs_objects_and_its_submodules_stay_aliases(alias: None) -> None:
    import airflow.sdk

    import riir_airflow.sdk

    # A name read through the alias is riir's object, the first time and after (when the alias keeps it).
    assert airflow.sdk.DAG is riir_airflow.sdk.DAG and airflow.sdk.DAG is riir_airflow.sdk.DAG
    assert "DAG" in vars(airflow.sdk)
    # A submodule read before its import is riir's module; once imported, the parent names the alias module.
    import airflow.sdk.definitions.taskgroup

    assert airflow.sdk.definitions.__name__ == "airflow.sdk.definitions"
    assert airflow.sdk.definitions.taskgroup.TaskGroup is riir_airflow.sdk.definitions.taskgroup.TaskGroup


def test_providers_come_from_their_distributions_and_the_core_from_riir(alias: None) -> None:
    import airflow.providers.http.hooks.http as http_hooks
    import airflow.providers.standard.operators.python as python_ops
    import airflow.providers.standard.version_compat as standard_version_compat
    import airflow.sdk

    site = sysconfig.get_paths()["purelib"]
    assert http_hooks.__file__.startswith(os.path.join(site, "airflow", "providers", "http"))
    # riir ships the standard provider's operators (wired into its engine): riir's module wins...
    assert python_ops.PythonOperator is riir_airflow.providers.standard.operators.python.PythonOperator  # type: ignore[attr-defined]
    # ... and the installed distribution fills in the modules riir does not have.
    assert standard_version_compat.__file__.startswith(os.path.join(site, "airflow", "providers", "standard"))
    assert airflow.sdk.BaseHook is http_hooks.BaseHook
    with pytest.raises(ModuleNotFoundError):
        __import__("airflow.jobs.scheduler_job_runner")


def _with_airflow_env(tmp_path: Path) -> Path:
    """A venv where apache-airflow 3.3.2 (the reference venv's site-packages) is installed next to riir and the
    providers (this venv's site-packages, first on the path), as `--system-site-packages` would give."""
    from airflow_env import VENV, airflow_python

    airflow_python()  # creates the reference venv on a fresh machine
    venv = tmp_path / "riir-with-airflow"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_paths(vars={"base": str(venv), "platbase": str(venv)})["purelib"])
    airflow_site = next((VENV / "lib").glob("python3*/site-packages"))
    ours = [str(Path(riir_airflow.__file__).resolve().parents[1]), sysconfig.get_paths()["purelib"]]
    (site / "riir_and_airflow.pth").write_text("\n".join([*ours, str(airflow_site)]) + "\n")
    return venv / "bin" / "python"


def _dags_test(python: Path, tmp_path: Path) -> dict[str, object]:
    results = tmp_path / "results.json"
    env = {
        **os.environ,
        "RIIR_AIRFLOW_COMPAT": "1",
        "AIRFLOW_HOME": str(tmp_path / "home"),
        "AIRFLOW_CONN_MIXED_SQLITE": json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "mixed.db")}),
        "PYTHONWARNINGS": "ignore",
    }
    proc = subprocess.run(
        [str(python), "-m", "riir_airflow", "dags", "test", str(DAGS / "mixed_imports.py"), "2024-03-05",
         "--save-results", str(results)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return dict(json.loads(results.read_text()))


def _check_mixed_run(result: dict[str, object]) -> None:
    assert result["run_state"] == "success"
    states = {ti["task_id"]: ti["state"] for ti in result["task_instances"]}  # type: ignore[attr-defined]
    assert states == {"create": "success", "total": "success", "echo": "success", "versions": "success"}
    xcoms = {x["task_id"]: x["value"] for x in result["xcoms"] if x["key"] == "return_value"}  # type: ignore[attr-defined]
    assert xcoms["total"] == 6
    assert xcoms["echo"] == "6"
    assert xcoms["versions"] == f"{AIRFLOW_VERSION} {riir_airflow.__version__}"


def test_mixed_dag_folder_runs_without_apache_airflow(tmp_path: Path) -> None:
    _check_mixed_run(_dags_test(Path(sys.executable), tmp_path))


@pytest.mark.compat
def test_mixed_dag_folder_runs_with_apache_airflow_installed_too(tmp_path: Path) -> None:
    python = _with_airflow_env(tmp_path)
    # Without the alias, `airflow` there is the real Apache Airflow 3.3.2 ...
    probe = "import airflow, importlib.metadata as m; print(airflow.__file__, m.version('apache-airflow'))"
    real = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert "airflow-3.3.2" in real.stdout and real.stdout.split()[-1] == "3.3.2"
    # ... with it, riir's core wins and the run is the same as without apache-airflow.
    probe = (
        "from riir_airflow import compat; compat.install(); import airflow, airflow.sdk;"
        "print(airflow.sdk.__file__, airflow.__version__)"
    )
    aliased = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert aliased.stdout.split()[0].startswith(str(Path(riir_airflow.__file__).parent))
    _check_mixed_run(_dags_test(python, tmp_path))


def test_an_airflow_imported_before_the_alias_gives_way_to_riirs() -> None:
    # A process that imported `airflow` before turning the alias on holds the provider distributions' namespace
    # package (no `__version__`, no core): installing the alias forgets it, and the next import is riir's.
    code = (
        "import airflow, riir_airflow.compat as c; assert not hasattr(airflow, '__version__'); c.install(); "
        "import airflow; from airflow.providers.http.operators.http import HttpOperator; print(airflow.__version__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "RIIR_AIRFLOW_COMPAT"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "3.3.2"
