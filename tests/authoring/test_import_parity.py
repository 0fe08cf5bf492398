"""Every name real Airflow 3.3.2 lets DAG authors import (compat-tests/structure/airflow_names.json, generated from
Airflow) imports from riir_airflow at the same path, directly and through the `airflow` alias; names Airflow
no longer has are missing here too, with the same exception class. Only the names import_paths.OUT_OF_SCOPE lists
(each with its reason) are left out."""

from __future__ import annotations

import enum
import importlib
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import riir_airflow
from riir_airflow import compat, import_paths

NAMES_FILE = Path(__file__).resolve().parents[2] / "compat-tests" / "structure" / "airflow_names.json"
AIRFLOW: dict[str, Any] = json.loads(NAMES_FILE.read_text())["modules"]
PRESENT = ("ok", "deprecated", "submodule")


def _relative(airflow_module: str) -> str:
    return airflow_module.partition(".")[2]


def _in_scope_modules() -> list[str]:
    return [m for m in sorted(AIRFLOW) if import_paths.out_of_scope_reason(_relative(m)) is None]


@pytest.fixture
def airflow_alias() -> Iterator[None]:
    compat.install()
    try:
        yield
    finally:
        compat.uninstall()


def _kind(obj: Any) -> str:
    """The kind airflow_names.py records for an object (same classification)."""
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return "exception"
        return "enum" if issubclass(obj, enum.Enum) else "class"
    if callable(obj):
        return "function" if inspect.isroutine(obj) else f"callable:{type(obj).__name__}"
    return f"value:{type(obj).__name__}"


def _lookup(module: ModuleType, name: str, status: str) -> Any:
    if status == "submodule":
        return importlib.import_module(f"{module.__name__}.{name}")
    return getattr(module, name)


@pytest.mark.parametrize("airflow_module", _in_scope_modules())
def test_module_matches_airflow(airflow_module: str, airflow_alias: None) -> None:
    entry = AIRFLOW[airflow_module]
    relative = _relative(airflow_module)
    riir_name = f"riir_airflow.{relative}" if relative else "riir_airflow"
    problems: list[str] = []

    if not entry["importable"]:
        # Airflow 3 removed the whole module: importing it fails the same way here, under both names.
        for name in (riir_name, airflow_module):
            with pytest.raises(ModuleNotFoundError):
                importlib.import_module(name)
        return

    riir_module = importlib.import_module(riir_name)
    alias_module = importlib.import_module(airflow_module)
    for name, probe in sorted(entry["names"].items()):
        if import_paths.out_of_scope_reason(relative, name) is not None:
            continue
        status = probe["status"]
        if status in PRESENT:
            moved = import_paths.MOVED_TO_PROVIDERS.get(relative, {})
            try:
                if name in moved:
                    # Resolved from the provider distribution with Airflow's own warning, word for word.
                    warning = probe["warning"].removeprefix("DeprecatedImportWarning: ")
                    with pytest.warns(FutureWarning, match=re.escape(warning)):
                        direct = _lookup(riir_module, name, status)
                    with pytest.warns(FutureWarning, match=re.escape(warning)):
                        via_alias = _lookup(alias_module, name, status)
                else:
                    direct = _lookup(riir_module, name, status)
                    via_alias = _lookup(alias_module, name, status)
            except (ImportError, AttributeError) as exc:
                problems.append(f"{name} ({status} in Airflow): {type(exc).__name__}: {exc}")
                continue
            overridden = compat.ALIAS_OVERRIDES.get(airflow_module, {})
            if name in overridden:
                # Deliberately different under the alias (airflow.__version__ is the mirrored Airflow version).
                if via_alias != overridden[name]:
                    problems.append(f"{name}: airflow.{relative} should be {overridden[name]!r}, is {via_alias!r}")
            elif status != "submodule" and via_alias is not direct:
                problems.append(f"{name}: airflow.{relative} gives a different object than {riir_name}")
            if _kind(direct) != probe["kind"] and f"{relative}:{name}" not in import_paths.KIND_DIFFERENCES:
                problems.append(f"{name}: a {_kind(direct)} here, a {probe['kind']} in Airflow")
        else:
            assert status == "missing", probe
            # The module imports in Airflow but lacks the name: attribute access fails with AttributeError.
            for module in (riir_module, alias_module):
                if hasattr(module, name):
                    problems.append(f"{name}: Airflow 3.3.2 has no {airflow_module}.{name}, but {module.__name__} has")
    assert not problems, f"{airflow_module}:\n  " + "\n  ".join(problems)


def test_from_import_of_a_removed_name_raises_import_error(airflow_alias: None) -> None:
    # `from m import n` turns the AttributeError into ImportError, as in Airflow (e.g. days_ago, helpers.chain).
    with pytest.raises(ImportError, match="days_ago"):
        exec("from airflow.utils.dates import days_ago", {})
    with pytest.raises(ImportError, match="chain"):
        exec("from airflow.utils.helpers import chain", {})


def test_out_of_scope_entries_name_real_airflow_names() -> None:
    # A stale entry would hide nothing, but would mislead: every key must be an Airflow module or name we record.
    for key, reason in import_paths.OUT_OF_SCOPE.items():
        assert reason.strip(), key
        module, _, name = key.partition(":")
        airflow_module = f"airflow.{module}"
        assert airflow_module in AIRFLOW, f"OUT_OF_SCOPE key {key!r}: Airflow module not recorded"
        if name:
            assert name in AIRFLOW[airflow_module]["names"], f"OUT_OF_SCOPE key {key!r}: Airflow has no such name"
            assert AIRFLOW[airflow_module]["names"][name]["status"] in PRESENT, key


def test_kind_differences_name_provided_names() -> None:
    for key, reason in import_paths.KIND_DIFFERENCES.items():
        module, _, name = key.partition(":")
        assert reason.strip() and name in AIRFLOW[f"airflow.{module}"]["names"], key
        assert import_paths.out_of_scope_reason(module, name) is None, key


def test_interface_paths_of_issue_4_are_in_scope() -> None:
    # The paths issue 4 and airflow-interface.md sections 1-3 name explicitly must never be declared out of scope.
    required = [
        "sdk", "sdk.exceptions", "exceptions", "models", "models.dag", "models.baseoperator", "models.param",
        "decorators", "operators.python", "operators.bash", "operators.empty", "operators.trigger_dagrun",
        "operators.datetime", "operators.weekday", "operators.latest_only", "operators.branch", "sensors.base",
        "sensors.python", "sensors.bash", "sensors.date_time", "sensors.time_sensor", "sensors.time_delta",
        "sensors.filesystem", "sensors.external_task", "providers.standard.operators.python",
        "providers.standard.operators.bash", "providers.standard.sensors.time", "utils.trigger_rule",
        "utils.task_group", "utils.edgemodifier", "utils.helpers", "utils.dates", "hooks.base", "macros",
        "datasets", "assets", "triggers.base", "providers.standard.triggers.temporal",
        "providers.standard.triggers.file", "configuration", "models.xcom_arg", "models.skipmixin",
        "models.baseoperatorlink", "notifications.basenotifier", "utils.timezone", "utils.xcom",
        "utils.weight_rule", "utils.operator_resources",
    ]  # fmt: skip
    for module in required:
        assert import_paths.out_of_scope_reason(module) is None, module
    for name in ("DAG", "BaseOperator", "Param", "Variable", "Connection", "XCom", "DagRun", "TaskInstance", "Pool"):
        assert import_paths.out_of_scope_reason("models", name) is None, name


def test_generated_mirror_files_match_the_table() -> None:
    root = Path(riir_airflow.__file__).resolve().parent
    expected = import_paths.generated_files(root)
    on_disk = import_paths.files_on_disk(root)
    stale = sorted(str(p.relative_to(root)) for p in on_disk - set(expected))
    missing = sorted(str(p.relative_to(root)) for p in set(expected) if not p.exists())
    edited = sorted(str(p.relative_to(root)) for p, text in expected.items() if p.exists() and p.read_text() != text)
    fix = "run `python -m riir_airflow.import_paths --write`"
    assert not stale, f"generated files no longer in the table: {stale}; {fix}"
    assert not missing, f"files missing: {missing}; {fix}"
    assert not edited, f"generated files differ from the table (edited by hand?): {edited}; {fix}"


def test_out_of_scope_names_say_why_and_what_to_use_instead(airflow_alias: None) -> None:
    # A user importing what riir-airflow deliberately lacks gets the reason and the alternative, not a bare error.
    with pytest.raises(ImportError, match=r"airflow.models.DagModel is not available in riir-airflow: DagModel is an "
                                          r"ORM model .*GET /api/v2/dags/\{dag_id\}"):  # fmt: skip
        exec("from airflow.models import DagModel", {})
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        exec("import airflow.models as m; m.NoSuchThing", {})


def test_names_moved_to_providers_resolve_with_airflows_warning(airflow_alias: None) -> None:
    # Airflow 3.3.2: `from airflow.operators.email import EmailOperator` warns and returns the smtp provider's class.
    from airflow.providers.smtp.operators.smtp import EmailOperator

    target = "airflow.providers.smtp.operators.smtp.EmailOperator"
    expected = f"The `airflow.operators.email.EmailOperator` attribute is deprecated. Please use `{target!r}`."
    with pytest.warns(FutureWarning, match=re.escape(expected)):
        namespace: dict[str, object] = {}
        exec("from airflow.operators.email import EmailOperator", namespace)
    assert namespace["EmailOperator"] is EmailOperator


def test_a_name_moved_to_a_missing_provider_says_what_could_not_be_imported() -> None:
    from riir_airflow.authoring.deprecation_tools import getattr_with_deprecation

    imports = {"Gone": "airflow.providers.not_installed_here.operators.gone.Gone"}
    with pytest.warns(FutureWarning), pytest.raises(ImportError, match=r"Could not import "
                      r"`airflow.providers.not_installed_here.operators.gone.Gone` while trying to import "
                      r"`airflow.operators.gone.Gone`"):  # fmt: skip
        getattr_with_deprecation(imports, "airflow.operators.gone", {}, "", "Gone")
