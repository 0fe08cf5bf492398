"""Record which public names real Airflow 3.3.2 lets DAG authors import, and from where (writes airflow_names.json).

    python compat-tests/structure/airflow_names.py            # runs itself under the reference Airflow venv
    python compat-tests/structure/airflow_names.py --inside   # (internal) the introspection, in Airflow's python

For every module path DAG authors use (issue 4 and shared/airflow-interface.md sections 1-3), the names come from,
in order: the module's ``__all__``; the redirect table behind Airflow's deprecation shims (the ``__getattr__`` that
``add_deprecated_classes`` installs, which also creates virtual modules such as ``airflow.utils.trigger_rule``);
classes and functions defined in the module itself; and the names the interface document lists for that path. Each
name is then really imported, and recorded as ``ok``, ``deprecated`` (a deprecation warning names it) or
``missing``, with the object it resolves to. A riir parity test reads this file; it is data generated from Airflow.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "airflow_names.json"

# Module paths to record. Names listed here are probed in addition to the ones discovered automatically; they are
# the names shared/airflow-interface.md gives for that path (including the ones Airflow 3 removed, recorded as
# `missing` so the parity test knows they are gone on purpose).
MODULES: dict[str, list[str]] = {
    "airflow": ["DAG", "Asset", "XComArg", "Dataset", "__version__"],
    "airflow.sdk": [],
    "airflow.sdk.exceptions": ["AirflowConfigException"],
    "airflow.exceptions": [],
    "airflow.models": ["DAG", "BaseOperator", "Param", "Variable", "Connection", "XCom", "DagRun", "TaskInstance"],
    "airflow.models.dag": ["DAG"],
    "airflow.models.dagbag": ["DagBag"],
    "airflow.models.variable": ["Variable"],
    "airflow.models.connection": ["Connection"],
    "airflow.models.xcom_arg": ["XComArg"],
    "airflow.decorators": ["dag", "task", "task_group", "setup", "teardown"],
    "airflow.operators.dummy": ["DummyOperator"],
    "airflow.utils.edgemodifier": ["Label", "EdgeModifier"],
    "airflow.utils.helpers": ["chain", "cross_downstream"],
    "airflow.utils.dates": ["days_ago", "cron_presets"],
    "airflow.datasets": ["Dataset", "DatasetAlias"],
    "airflow.assets": ["Asset", "AssetAlias"],
    "airflow.hooks.base": ["BaseHook"],
    "airflow.macros": [],
    "airflow.timetables.base": [],
    "airflow.timetables.simple": [],
    "airflow.timetables.interval": [],
    "airflow.timetables.trigger": [],
    "airflow.timetables.events": [],
    "airflow.timetables.assets": [],
    "airflow.triggers.base": ["BaseTrigger", "TriggerEvent"],
    "airflow.configuration": ["conf"],
    "airflow.providers.standard.operators.bash": ["BashOperator"],
    "airflow.providers.standard.operators.python": [
        "PythonOperator",
        "BranchPythonOperator",
        "ShortCircuitOperator",
        "PythonVirtualenvOperator",
        "ExternalPythonOperator",
        "BranchPythonVirtualenvOperator",
        "BranchExternalPythonOperator",
        "get_current_context",
    ],
    "airflow.providers.standard.operators.empty": ["EmptyOperator"],
    "airflow.providers.standard.operators.trigger_dagrun": ["TriggerDagRunOperator"],
    "airflow.providers.standard.operators.datetime": ["BranchDateTimeOperator"],
    "airflow.providers.standard.operators.weekday": ["BranchDayOfWeekOperator"],
    "airflow.providers.standard.operators.latest_only": ["LatestOnlyOperator"],
    "airflow.providers.standard.operators.branch": ["BaseBranchOperator", "BranchMixIn"],
    "airflow.providers.standard.operators.smooth": ["SmoothOperator"],
    "airflow.providers.standard.operators.hitl": [
        "HITLOperator",
        "ApprovalOperator",
        "HITLBranchOperator",
        "HITLEntryOperator",
    ],
    "airflow.providers.standard.sensors.bash": ["BashSensor"],
    "airflow.providers.standard.sensors.python": ["PythonSensor"],
    "airflow.providers.standard.sensors.time": ["TimeSensor", "TimeSensorAsync"],
    "airflow.providers.standard.sensors.time_delta": ["TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"],
    "airflow.providers.standard.sensors.date_time": ["DateTimeSensor", "DateTimeSensorAsync"],
    "airflow.providers.standard.sensors.external_task": ["ExternalTaskSensor", "ExternalTaskMarker"],
    "airflow.providers.standard.sensors.filesystem": ["FileSensor"],
    "airflow.providers.standard.sensors.weekday": ["DayOfWeekSensor"],
    "airflow.providers.standard.decorators.python": ["python_task"],
    "airflow.providers.standard.decorators.bash": ["bash_task"],
    "airflow.providers.standard.decorators.branch_python": ["branch_task"],
    "airflow.providers.standard.decorators.short_circuit": ["short_circuit_task"],
    "airflow.providers.standard.decorators.sensor": ["sensor_task"],
    "airflow.providers.standard.triggers.temporal": ["TimeDeltaTrigger", "DateTimeTrigger"],
    "airflow.providers.standard.triggers.file": ["FileTrigger"],
}

# Modules whose own public classes and functions are recorded even though names are listed above for them.
ALSO_DEFINED = {"airflow.sdk.exceptions"}

# Packages whose deprecation shims create virtual submodules (airflow.operators.python, airflow.utils.task_group...):
# every such submodule is recorded too.
SHIM_PACKAGES = ("airflow.operators", "airflow.sensors", "airflow.hooks", "airflow.decorators", "airflow.utils",
                 "airflow.models", "airflow.notifications", "airflow.io", "airflow.triggers")  # fmt: skip


def _shim_table(module: Any) -> dict[str, str] | None:
    """The name -> target table of an add_deprecated_classes __getattr__ (a functools.partial), if there is one."""
    getter = module.__dict__.get("__getattr__")
    func = getattr(getter, "func", None)
    if func is not None and func.__name__ == "getattr_with_deprecation" and getter.args:
        table: dict[str, str] = getter.args[0]
        return table
    return None


def _public_defined(module: Any) -> list[str]:
    names = []
    for name, obj in vars(module).items():
        if name.startswith("_"):
            continue
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and getattr(obj, "__module__", None) == module.__name__:
            names.append(name)
    return names


def _candidate_names(modname: str, module: Any, extra: list[str]) -> list[str]:
    names: list[str] = list(getattr(module, "__all__", []) or [])
    table = _shim_table(module)
    if table:
        for name, target in table.items():
            if name == "*":  # wildcard redirect: every public name of the target module
                target_module = importlib.import_module(target)
                names.extend(getattr(target_module, "__all__", None) or _public_defined(target_module))
            else:
                names.append(name)
    if (not names and not extra) or modname in ALSO_DEFINED:
        names.extend(_public_defined(module))
    if modname == "airflow.exceptions":
        names.extend(sorted(getattr(module, "_DEPRECATED_EXCEPTIONS", ())))
        names.extend(n for n, o in vars(module).items() if inspect.isclass(o) and issubclass(o, BaseException))
    if modname == "airflow.macros":
        names.extend(n for n in dir(importlib.import_module("airflow.sdk.execution_time.macros")) if n[0] != "_")
    names.extend(extra)
    return sorted(set(names))


def _kind(obj: Any) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        import enum

        if issubclass(obj, BaseException):
            return "exception"
        if issubclass(obj, enum.Enum):
            return "enum"
        return "class"
    if callable(obj):
        return "function" if inspect.isroutine(obj) else f"callable:{type(obj).__name__}"
    return f"value:{type(obj).__name__}"


def _target(obj: Any) -> str | None:
    if inspect.ismodule(obj):
        return str(obj.__name__)
    mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if mod and qual:
        return f"{mod}.{qual}"
    return f"<{type(obj).__module__}.{type(obj).__qualname__} instance>"


def _probe(module: Any, name: str) -> dict[str, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            obj = getattr(module, name)
        except Exception as exc:  # an AttributeError, or an ImportError raised by a lazy import
            submodule = f"{module.__name__}.{name}"
            try:
                obj = importlib.import_module(submodule)
            except Exception:
                return {"status": "missing", "error": f"{type(exc).__name__}: {exc}"[:300]}
            return {"status": "submodule", "target": submodule, "kind": "module"}
    entry: dict[str, Any] = {"status": "ok", "target": _target(obj), "kind": _kind(obj)}
    about_name = [
        w for w in caught if issubclass(w.category, DeprecationWarning | FutureWarning) and name in str(w.message)
    ]
    if about_name:
        entry["status"] = "deprecated"
        entry["warning"] = f"{about_name[0].category.__name__}: {about_name[0].message}"
    return entry


def _discover_shim_modules() -> list[str]:
    for package in SHIM_PACKAGES:
        importlib.import_module(package)
    found = []
    for modname, module in list(sys.modules.items()):
        if module is None or not modname.startswith(tuple(p + "." for p in SHIM_PACKAGES)):
            continue
        if modname.startswith("airflow.utils.log."):  # task log handlers moved to providers: not authoring API
            continue
        if type(module).__name__ == "module" and getattr(module, "__file__", None) is None and _shim_table(module):
            found.append(modname)
    return found


def _module_entry(modname: str, extra: list[str]) -> dict[str, Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            module = importlib.import_module(modname)
        except Exception as exc:
            return {
                "importable": False,
                "error": f"{type(exc).__name__}: {exc}"[:300],
                "names": {name: {"status": "missing"} for name in extra},
            }
    entry: dict[str, Any] = {"importable": True}
    about_module = [
        w for w in caught if issubclass(w.category, DeprecationWarning | FutureWarning) and modname in str(w.message)
    ]
    if about_module:
        # The whole module is deprecated (it warns when imported): every name imported from it is too.
        entry["module_warning"] = f"{about_module[0].category.__name__}: {about_module[0].message}"
    if getattr(module, "__file__", None) is None and _shim_table(module) is not None:
        entry["virtual"] = True  # created in sys.modules by a deprecation shim, no file behind it
    names = {name: _probe(module, name) for name in _candidate_names(modname, module, extra)}
    if about_module:
        for probe in names.values():
            if probe["status"] == "ok":
                probe["status"] = "deprecated"
                probe["warning"] = entry["module_warning"]
    entry["names"] = names
    return entry


def _in_fresh_child(modname: str, extra: list[str]) -> dict[str, Any]:
    """Probe one module in a forked child, so that what earlier modules imported cannot hide its warnings."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            payload = json.dumps(_module_entry(modname, extra)).encode()
        except BaseException as exc:
            payload = json.dumps({"importable": False, "error": f"probe failed: {exc!r}", "names": {}}).encode()
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    result: dict[str, Any] = json.loads(data)
    return result


def introspect() -> dict[str, Any]:
    import airflow

    modules = dict(MODULES)
    for modname in _in_fresh_child_discover():
        modules.setdefault(modname, [])
    result = {modname: _in_fresh_child(modname, modules[modname]) for modname in sorted(modules)}
    return {
        "airflow_version": airflow.__version__,
        "generated_by": "compat-tests/structure/airflow_names.py",
        "statuses": {
            "ok": "imports without a warning",
            "deprecated": "imports, with a deprecation warning naming it or its module (the warning is recorded)",
            "submodule": "not an attribute of the package until imported; `import path.name` works",
            "missing": "ImportError / AttributeError in Airflow 3.3.2",
        },
        "modules": result,
    }


def _in_fresh_child_discover() -> list[str]:
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(json.dumps(_discover_shim_modules()).encode())
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    found: list[str] = json.loads(data)
    return found


def main() -> int:
    if "--inside" in sys.argv:
        # Keep stdout for the JSON: Airflow's loggers write to it while modules import.
        saved = os.dup(1)
        os.dup2(2, 1)
        try:
            data = introspect()
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
        sys.stdout.write(json.dumps(data, indent=1, sort_keys=True) + "\n")
        return 0

    sys.path.insert(0, str(HERE.parent))
    from airflow_env import airflow_env, airflow_python

    with tempfile.TemporaryDirectory(prefix="riir-names-home-") as home:
        proc = subprocess.run(
            [str(airflow_python()), __file__, "--inside"],
            env=airflow_env(Path(home)),
            capture_output=True,
            text=True,
            timeout=600,
        )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        return 1
    OUT.write_text(proc.stdout)
    data = json.loads(proc.stdout)
    counts: dict[str, int] = {}
    for mod in data["modules"].values():
        for name in mod["names"].values():
            counts[name["status"]] = counts.get(name["status"], 0) + 1
    print(f"wrote {OUT.relative_to(HERE.parents[1])}: {len(data['modules'])} modules, {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
