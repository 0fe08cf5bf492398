"""The one table of Airflow import paths riir_airflow mirrors.

Each key is a module path below `riir_airflow` (and below `airflow` through the compat alias); each value maps the
public names of that module to where they are defined, as "module:attribute" below `riir_airflow._internal`.
`python -m riir_airflow._internal.import_paths --write` regenerates the thin re-export modules from this table,
and a test checks that the files on disk match it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Shorthands for groups of names that several paths share.
_EXCEPTIONS = [
    "AirflowException", "AirflowBadRequest", "AirflowNotFoundException", "AirflowConfigException",
    "AirflowSkipException", "AirflowFailException", "AirflowSensorTimeout", "AirflowRescheduleException",
    "AirflowTaskTimeout", "AirflowTaskTerminated", "TaskDeferred", "TaskDeferralError", "TaskDeferralTimeout",
    "DownstreamTasksSkipped", "DagRunTriggerException", "AirflowDagCycleException", "DuplicateTaskIdFound",
    "TaskAlreadyInTaskGroup", "FailFastDagInvalidTriggerRule", "ParamValidationError", "XComNotFound",
    "AirflowInactiveAssetInInletOrOutletException", "AirflowOptionalProviderFeatureException",
    "AirflowTimetableInvalid", "AirflowRuntimeError", "AirflowSecretsBackendAccessDenied", "TaskAwaitingInput",
    "TaskNotFound", "NodeNotFound", "TaskAlreadyRunningError", "UnmappableXComTypePushed", "XComForMappingNotPushed",
]  # fmt: skip
_CORE_EXCEPTIONS = [
    "AirflowClusterPolicyError", "AirflowClusterPolicySkipDag", "AirflowClusterPolicyViolation",
    "AirflowDagDuplicatedIdException", "AirflowFileParseException", "AirflowUnsupportedFileTypeException",
    "AirflowClearRunningTaskException", "AirflowInternalRuntimeError", "ConnectionNotUnique", "VariableNotUnique",
    "DagNotFound", "DagCodeNotFound", "DagRunNotFound", "DagRunAlreadyExists", "DagRunTypeNotAllowed",
    "TaskInstanceNotFound", "PoolNotFound", "SerializationError", "DeserializationError", "DeserializingResultError",
    "NotMapped", "UnknownExecutorException", "InvalidStatsNameException", "PodMutationHookException",
    "PodReconciliationError", "DagNotPartitionedError", "InvalidPartitionKeyError",
]  # fmt: skip


_TIMETABLES = [
    "CronDataIntervalTimetable", "CronTriggerTimetable", "DeltaDataIntervalTimetable", "DeltaTriggerTimetable",
    "MultipleCronTriggerTimetable", "EventsTimetable", "AssetOrTimeSchedule",
]  # fmt: skip


def _from(module: str, *names: str) -> dict[str, str]:
    return {name: f"{module}:{name}" for name in names}


_PYTHON_OPERATORS = _from(
    "standard.python",
    "PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "PythonVirtualenvOperator",
    "ExternalPythonOperator", "BranchPythonVirtualenvOperator", "BranchExternalPythonOperator", "get_current_context",
)  # fmt: skip
_BRANCH = {**_from("branch", "BaseBranchOperator"), **_from("skipmixin", "BranchMixIn")}
_SENSOR_BASE = _from("sensor", "BaseSensorOperator", "PokeReturnValue", "poke_mode_only")
_ASSETS = _from("assets", "Asset", "AssetAlias", "AssetAll", "AssetAny", "AssetWatcher", "Metadata", "Dataset", "Model")

SDK = {
    **_from("dag", "DAG", "dag"),
    **_from("taskgroup", "TaskGroup", "task_group"),
    **_from("baseoperator", "BaseOperator", "chain", "chain_linear", "cross_downstream"),
    **_from("edges", "Label", "EdgeModifier"),
    **_from("decorators", "task", "setup", "teardown", "result"),
    **_from("templating", "literal"),
    **_from("xcom_arg", "XComArg"),
    **_SENSOR_BASE,
    **_BRANCH,
    **_from("skipmixin", "SkipMixin"),
    **_ASSETS,
    **_from("params", "Param", "ParamsDict"),
    **_from("variable", "Variable"),
    **_from("connection", "Connection"),
    **_from("hook", "BaseHook"),
    **_from("trigger_rule", "TriggerRule", "WeightRule"),
    **_from("states", "TaskInstanceState", "DagRunState"),
    **_from("runtime_api", "get_current_context", "get_parsing_context", "Context"),
    **_from("asset_decorator", "asset"),
    **_from("timetables", *_TIMETABLES),
}
_DECORATOR_BASE = {
    **_from("decorators", "DecoratedOperator", "get_unique_task_id", "TaskDecoratorCollection"),
    **_from("mapped", "DecoratedMappedOperator"),
}

EXPORTS: dict[str, dict[str, str]] = {
    "sdk": SDK,
    "sdk.exceptions": {name: f"exceptions:{name}" for name in _EXCEPTIONS},
    "exceptions": {name: f"exceptions:{name}" for name in _EXCEPTIONS + _CORE_EXCEPTIONS},
    "models": {
        **_from("dag", "DAG"),
        **_from("baseoperator", "BaseOperator"),
        **_from("params", "Param", "ParamsDict"),
        **_from("variable", "Variable"),
        **_from("connection", "Connection"),
        **_from("xcom_arg", "XComArg"),
        **_from("mapped", "MappedOperator"),
        **_from("dagbag", "DagBag"),
    },
    "dag_processing.dagbag": _from("dagbag", "DagBag"),
    "sdk.bases.decorator": _DECORATOR_BASE,
    "decorators.base": _DECORATOR_BASE,
    "sdk.definitions.asset.decorators": _from("asset_decorator", "asset", "AssetDefinition", "MultiAssetDefinition"),
    "models.dag": _from("dag", "DAG"),
    "models.baseoperator": _from("baseoperator", "BaseOperator", "chain", "chain_linear", "cross_downstream"),
    "models.mappedoperator": _from("mapped", "MappedOperator"),
    "models.param": _from("params", "Param", "ParamsDict"),
    "models.variable": _from("variable", "Variable"),
    "models.connection": _from("connection", "Connection"),
    "models.xcom_arg": _from("xcom_arg", "XComArg"),
    "models.skipmixin": _from("skipmixin", "SkipMixin"),
    "models.dagbag": _from("dagbag", "DagBag"),
    "decorators": {
        **_from("dag", "dag"),
        **_from("decorators", "task", "setup", "teardown"),
        **_from("taskgroup", "task_group"),
    },
    "operators.python": _PYTHON_OPERATORS,
    "operators.bash": _from("standard.bash", "BashOperator"),
    "operators.empty": _from("standard.empty", "EmptyOperator"),
    "operators.trigger_dagrun": _from("standard.trigger_dagrun", "TriggerDagRunOperator"),
    "operators.latest_only": _from("standard.latest_only", "LatestOnlyOperator"),
    "operators.datetime": _from("standard.datetime_branch", "BranchDateTimeOperator"),
    "operators.weekday": _from("standard.weekday", "BranchDayOfWeekOperator"),
    "operators.smooth": _from("standard.smooth", "SmoothOperator"),
    "operators.branch": _BRANCH,
    "sensors.base": _SENSOR_BASE,
    "sensors.python": _from("standard.sensors", "PythonSensor"),
    "sensors.bash": _from("standard.sensors", "BashSensor"),
    "sensors.date_time": _from("standard.sensors", "DateTimeSensor", "DateTimeSensorAsync"),
    "sensors.time_sensor": _from("standard.sensors", "TimeSensor", "TimeSensorAsync"),
    "sensors.time_delta": _from("standard.sensors", "TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"),
    "sensors.weekday": _from("standard.sensors", "DayOfWeekSensor"),
    "sensors.filesystem": _from("standard.sensors", "FileSensor"),
    "sensors.external_task": _from("standard.sensors", "ExternalTaskSensor", "ExternalTaskMarker"),
    "providers.standard.operators.python": _PYTHON_OPERATORS,
    "providers.standard.operators.bash": _from("standard.bash", "BashOperator"),
    "providers.standard.operators.empty": _from("standard.empty", "EmptyOperator"),
    "providers.standard.operators.trigger_dagrun": _from("standard.trigger_dagrun", "TriggerDagRunOperator"),
    "providers.standard.operators.latest_only": _from("standard.latest_only", "LatestOnlyOperator"),
    "providers.standard.operators.datetime": _from("standard.datetime_branch", "BranchDateTimeOperator"),
    "providers.standard.operators.weekday": _from("standard.weekday", "BranchDayOfWeekOperator"),
    "providers.standard.operators.smooth": _from("standard.smooth", "SmoothOperator"),
    "providers.standard.operators.branch": _BRANCH,
    "providers.standard.sensors.python": _from("standard.sensors", "PythonSensor"),
    "providers.standard.sensors.bash": _from("standard.sensors", "BashSensor"),
    "providers.standard.sensors.date_time": _from("standard.sensors", "DateTimeSensor", "DateTimeSensorAsync"),
    "providers.standard.sensors.time": _from("standard.sensors", "TimeSensor", "TimeSensorAsync"),
    "providers.standard.sensors.time_delta": _from(
        "standard.sensors", "TimeDeltaSensor", "TimeDeltaSensorAsync", "WaitSensor"
    ),
    "providers.standard.sensors.weekday": _from("standard.sensors", "DayOfWeekSensor"),
    "providers.standard.sensors.filesystem": _from("standard.sensors", "FileSensor"),
    "providers.standard.sensors.external_task": _from("standard.sensors", "ExternalTaskSensor", "ExternalTaskMarker"),
    "providers.standard.utils.weekday": _from("standard.weekday", "WeekDay"),
    "utils.weekday": _from("standard.weekday", "WeekDay"),
    "utils.trigger_rule": _from("trigger_rule", "TriggerRule"),
    "utils.weight_rule": _from("trigger_rule", "WeightRule"),
    "task.trigger_rule": _from("trigger_rule", "TriggerRule"),
    "utils.task_group": _from("taskgroup", "TaskGroup"),
    "utils.edgemodifier": _from("edges", "Label", "EdgeModifier"),
    "utils.state": _from("states", "TaskInstanceState", "DagRunState", "State"),
    "hooks.base": _from("hook", "BaseHook"),
    "sdk.bases.operator": _from("baseoperator", "BaseOperator", "chain", "chain_linear", "cross_downstream"),
    "sdk.bases.sensor": _SENSOR_BASE,
    "sdk.bases.hook": _from("hook", "BaseHook"),
    "sdk.bases.branch": _BRANCH,
    "sdk.bases.skipmixin": _from("skipmixin", "SkipMixin"),
    "sdk.definitions.dag": _from("dag", "DAG", "dag"),
    "sdk.definitions.taskgroup": _from("taskgroup", "TaskGroup", "MappedTaskGroup", "task_group"),
    "sdk.definitions.param": _from("params", "Param", "ParamsDict", "DagParam"),
    "sdk.definitions.asset": _ASSETS,
    "sdk.definitions.mappedoperator": _from("mapped", "MappedOperator"),
    "sdk.definitions.xcom_arg": _from("xcom_arg", "XComArg", "PlainXComArg", "MapXComArg", "ZipXComArg"),
    "sdk.definitions.edges": _from("edges", "Label", "EdgeModifier"),
    "utils.dates": _from("schedule_presets", "cron_presets"),
    "timetables.base": _from("timetables", "Timetable", "DataInterval", "TimeRestriction", "DagRunInfo"),
    "timetables.interval": _from("timetables", "CronDataIntervalTimetable", "DeltaDataIntervalTimetable"),
    "timetables.trigger": _from(
        "timetables", "CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"
    ),
    "timetables.events": _from("timetables", "EventsTimetable"),
    "timetables.simple": _from(
        "timetables", "NullTimetable", "OnceTimetable", "ContinuousTimetable", "AssetTriggeredTimetable"
    ),
    "timetables.assets": _from("timetables", "AssetOrTimeSchedule"),
    "macros": _from("macros", "ds_add", "ds_format", "datetime_diff_for_humans", "datetime", "timedelta"),
}

# Paths whose module is real code rather than a generated re-export (riir_airflow.exceptions defines the classes).
REAL_MODULES = {"exceptions"}


def _source(path: str, names: dict[str, str]) -> str:
    by_module: dict[str, list[tuple[str, str]]] = {}
    for public, target in names.items():
        module, attr = target.split(":")
        by_module.setdefault(module, []).append((attr, public))
    lines = [
        f'"""Airflow\'s `airflow.{path}`: re-exports only.',
        "",
        "Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.",
        '"""',
        "",
    ]
    for module in sorted(by_module):
        base = "riir_airflow.exceptions" if module == "exceptions" else f"riir_airflow._internal.{module}"
        for attr, public in sorted(by_module[module]):
            lines.append(f"from {base} import {attr} as {public}")
    lines.append("")
    lines.append("__all__ = [")
    lines.extend(f'    "{name}",' for name in sorted(names))
    lines.append("]")
    return "\n".join(lines) + "\n"


def _package_doc(path: str) -> str:
    return f'"""Airflow\'s `airflow.{path}` package (riir_airflow mirror)."""\n'


def generated_files(root: Path) -> dict[Path, str]:
    """Every mirror module (and the package `__init__.py` files above it) with its content."""
    files: dict[Path, str] = {}
    for path, names in EXPORTS.items():
        if path in REAL_MODULES:
            continue
        parts = path.split(".")
        for depth in range(1, len(parts)):
            package = root.joinpath(*parts[:depth], "__init__.py")
            files.setdefault(package, _package_doc(".".join(parts[:depth])))
        if any(other.startswith(path + ".") for other in EXPORTS):
            target = root.joinpath(*parts, "__init__.py")
        else:
            target = root.joinpath(*parts[:-1], parts[-1] + ".py")
        files[target] = _source(path, names)
    return files


def write(root: Path) -> None:
    for file, content in generated_files(root).items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content)


if __name__ == "__main__":
    package_root = Path(__file__).resolve().parents[1]
    if sys.argv[1:] == ["--write"]:
        write(package_root)
    else:
        print("usage: python -m riir_airflow._internal.import_paths --write", file=sys.stderr)
        sys.exit(2)
