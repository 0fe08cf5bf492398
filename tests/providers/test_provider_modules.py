"""Every module of every matrix provider imports under the alias, with riir standing in for Apache Airflow, and
every hook the providers register can be imported. The few modules that cannot are listed with the reason."""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from riir_airflow import compat
from tests.providers.matrix import MATRIX

# asyncssh (ssh/sftp providers) still names DSA key types, which cryptography deprecates: third-party noise.
pytestmark = pytest.mark.filterwarnings("ignore:DSA is deprecated")

_KUBERNETES_EXECUTOR_AND_CLI = (
    "cli.kubernetes_command", "cli.definition", "executors.kubernetes_executor", "executors.kubernetes_executor_types",
    "executors.kubernetes_executor_utils", "executors.local_kubernetes_executor",
)  # fmt: skip

# Modules that need what riir-airflow does not have, each with the reason (anything else must import).
NOT_IMPORTABLE = {
    "airflow.providers.redis.log.redis_task_handler": "an Airflow task-log handler: riir stores task logs in the "
    "metastore (Airflow's FileTaskHandler is not part of riir)",
    "airflow.providers.standard.utils.sensor_helper": "queries Airflow's ORM (SQLAlchemy models)",
    "airflow.providers.standard.triggers.hitl": "human-in-the-loop operators: issue 13 item 4 (authoring surface)",
    "airflow.providers.common.io.state_store.backend": "needs fsspec (the provider's optional dependency)",
    "airflow.providers.common.io.xcom.backend": "needs fsspec (the provider's optional dependency)",
    "airflow.providers.common.sql.datafusion.engine": "needs datafusion (the provider's optional `datafusion` extra)",
    "airflow.providers.common.sql.datafusion.object_storage_provider": "needs datafusion (optional extra)",
    "airflow.providers.common.compat.openlineage.utils.utils": "needs apache-airflow-providers-openlineage",
    "airflow.providers.cncf.kubernetes.template_rendering": "stores rendered pod specs through Airflow's ORM session",
    "airflow.providers.cncf.kubernetes.decorators.kubernetes": "needs dill (the provider's optional extra)",
    **{
        f"airflow.providers.cncf.kubernetes.{name}": "Airflow's executor and CLI plumbing (KubernetesExecutor, "
        "`airflow kubernetes` commands): riir runs tries in its DAG apps and has its own CLI"
        for name in (
            "cli.kubernetes_command",
            "cli.definition",
            "executors.kubernetes_executor",
            "executors.kubernetes_executor_types",
            "executors.kubernetes_executor_utils",
            "executors.local_kubernetes_executor",
        )
    },
}


def provider_modules() -> Iterator[str]:
    """Module names below airflow/providers/ of the installed matrix distributions (not their example DAGs)."""
    for dist in MATRIX:
        for file in importlib.metadata.files(dist) or []:
            parts = file.parts
            if parts[:2] != ("airflow", "providers") or file.suffix != ".py":
                continue
            if "example_dags" in parts or "tests" in parts:
                continue
            name = ".".join(parts)[: -len(".py")].removesuffix(".__init__")
            yield name


def test_every_module_of_every_matrix_provider_imports() -> None:
    # One child interpreter: the import alias and the providers' module state stay out of the test process.
    modules = sorted(set(provider_modules()))
    assert len(modules) > 150
    script = textwrap.dedent("""
        import importlib, json, sys, warnings
        warnings.simplefilter("ignore")
        from riir_airflow import compat
        compat.install()
        failed = {}
        for name in json.loads(sys.argv[1]):
            try:
                importlib.import_module(name)
            except BaseException as err:
                failed[name] = f"{type(err).__name__}: {err}"
        print(json.dumps(failed))
    """)
    import json

    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(modules)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    failed = json.loads(result.stdout.strip().splitlines()[-1])
    unexpected = {name: error for name, error in failed.items() if name not in NOT_IMPORTABLE}
    assert not unexpected, "\n".join(f"{n}: {e}" for n, e in sorted(unexpected.items()))
    # The listed exceptions still fail (so the list does not outlive its reasons).
    assert set(NOT_IMPORTABLE) <= set(failed), sorted(set(NOT_IMPORTABLE) - set(failed))


def test_every_registered_hook_imports() -> None:
    compat.install()
    try:
        from riir_airflow.plugins.providers_manager import ProvidersManager

        ProvidersManager.reset()
        hooks = ProvidersManager().hooks
        broken = [conn_type for conn_type in list(hooks) if hooks[conn_type] is None]
        assert not broken
        assert {"sqlite", "postgres", "http", "smtp", "ftp", "ssh", "sftp", "redis", "slack", "docker",
                "kubernetes"} <= set(hooks)  # fmt: skip
        for conn_type in ("sqlite", "postgres", "http"):
            hook = hooks[conn_type]
            assert hook is not None and hook.connection_testable
    finally:
        compat.uninstall()


@pytest.mark.parametrize("dist", MATRIX)
def test_every_operator_hook_sensor_trigger_the_provider_lists_imports(dist: str) -> None:
    compat.install()
    try:
        from riir_airflow.plugins.providers_manager import ProvidersManager

        ProvidersManager.reset()
        info = ProvidersManager().providers[dist]
        listed = [
            module
            for kind in ("operators", "hooks", "sensors", "triggers")
            for entry in info.data.get(kind, [])
            for module in entry.get("python-modules", [])
        ]
        for module in listed:
            if module in NOT_IMPORTABLE:
                continue
            assert importlib.import_module(module).__name__ == module
        assert all(
            pkgutil.resolve_name(name.rpartition(".")[0] + ":" + name.rpartition(".")[2])
            for name in info.data.get("notifications", [])
        )
    finally:
        compat.uninstall()
