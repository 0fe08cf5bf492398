"""The one table of Airflow import paths riir_airflow mirrors.

Each key is a module path below `riir_airflow` (and below `airflow` through the compat alias); each value maps the
public names of that module to where they are defined, as "module:attribute" below `riir_airflow.authoring`
(or a full `riir_airflow.x` module path, or one of the `_OUTSIDE_AUTHORING` short names).
`python -m riir_airflow.import_paths --write` regenerates the thin re-export modules from this table,
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


_PARTITION_MAPPERS = [
    "PartitionMapper", "IdentityMapper", "FixedKeyMapper", "AllowedKeyMapper", "ChainMapper", "ProductMapper",
    "RollupMapper", "FanOutMapper", "StartOfHourMapper", "StartOfDayMapper", "StartOfWeekMapper",
    "StartOfMonthMapper", "StartOfQuarterMapper", "StartOfYearMapper", "Window", "HourWindow", "DayWindow",
    "WeekWindow", "MonthWindow", "QuarterWindow", "YearWindow", "SegmentWindow", "WaitForAll", "MinimumCount",
]  # fmt: skip


# airflow.plugins_manager (and airflow.sdk.plugins_manager): riir_airflow/plugins/manager.py.
_PLUGINS_MANAGER = (
    "AirflowPlugin", "AirflowPluginException", "AirflowPluginSource", "EntryPointSource", "PluginsDirectorySource",
    "ensure_plugins_loaded", "get_plugin_info", "integrate_macros_plugins", "integrate_listener_plugins",
    "is_valid_plugin", "get_import_errors", "get_timetables_plugins", "get_priority_weight_strategy_plugins",
    "get_global_operator_extra_links", "get_operator_extra_links",
)  # fmt: skip


def _from(module: str, *names: str) -> dict[str, str]:
    return {name: f"{module}:{name}" for name in names}


_PYTHON_OPERATORS = {
    **_from("standard.python", "PythonOperator", "BranchPythonOperator", "ShortCircuitOperator", "get_current_context"),
    **_from(
        "standard.python_virtualenv",
        "PythonVirtualenvOperator", "ExternalPythonOperator", "BranchPythonVirtualenvOperator",
        "BranchExternalPythonOperator",
    ),
}  # fmt: skip
_BRANCH = {**_from("branch", "BaseBranchOperator"), **_from("skipmixin", "BranchMixIn")}
_SENSOR_BASE = _from("sensor", "BaseSensorOperator", "PokeReturnValue", "poke_mode_only")
_ASSETS = _from("assets", "Asset", "AssetAlias", "AssetAll", "AssetAny", "AssetWatcher", "Metadata", "Dataset", "Model")

_OPERATOR_RESOURCES = _from(
    "operator_resources", "Resource", "CpuResource", "RamResource", "DiskResource", "GpuResource", "Resources"
)
_TIMEZONE = _from(
    "timezone",
    "utc",
    "utcnow",
    "parse",
    "convert_to_utc",
    "make_aware",
    "make_naive",
    "coerce_datetime",
    "datetime",
    "from_timestamp",
    "is_localized",
    "is_naive",
    "parse_timezone",
)
_TRIGGER_BASE = _from(
    "triggers",
    "BaseTrigger",
    "BaseEventTrigger",
    "TriggerEvent",
    "StartTriggerArgs",
    "BaseTaskEndEvent",
    "TaskSuccessEvent",
    "TaskFailedEvent",
    "TaskSkippedEvent",
)
_EXTERNAL_TASK = {
    **_from("standard.sensors", "ExternalTaskSensor", "ExternalTaskMarker"),
    **_from("standard.links", "ExternalDagLink"),
}
_TEMPORAL_TRIGGERS = _from("standard.triggers", "DateTimeTrigger", "TimeDeltaTrigger")
_EXTERNAL_TASK_TRIGGERS = _from("standard.triggers", "WorkflowTrigger", "DagStateTrigger")
_FILE_TRIGGERS = _from("standard.triggers", "FileTrigger", "FileDeleteTrigger", "DirectoryFileDeleteTrigger")

_AIRFLOW_HELPERS = (
    "validate_key", "is_container", "chunks", "as_flattened_list", "convert_camel_to_snake", "merge_dicts",
    "partition", "exactly_one", "at_most_one", "prune_dict",
)  # fmt: skip
_PROVIDERS_MANAGER = (
    "ProvidersManager", "ProviderInfo", "HookInfo", "HookClassProvider", "DialectInfo", "TriggerInfo",
    "NotificationInfo", "ConnectionFormWidgetInfo", "ConnectionTypeHookUIMetadata", "LazyDictWithCache",
)  # fmt: skip

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
    **_from("runtime_api", "get_current_context", "get_parsing_context"),
    **_from("context_type", "Context"),
    **_from("asset_decorator", "asset"),
    **_from("timetables", *_TIMETABLES),
    **_from("partition_mappers", *_PARTITION_MAPPERS),
    **_from("object_storage", "ObjectStoragePath"),
    **_from("partition_timetables", "PartitionedAssetTimetable", "PartitionedAtRuntime", "CronPartitionTimetable"),
    **_from("operatorlink", "BaseOperatorLink"),
    **_from("notifier", "BaseNotifier"),
    **_from("xcom", "BaseXCom"),
    **_from("async_operator", "BaseAsyncOperator"),
    **_from("resumable", "ResumableJobMixin"),
    **_from("state_store", "NEVER_EXPIRE"),
    **_from("asset_access", "AssetAccessControl"),
    **_from("retry_policy", "RetryPolicy", "ExceptionRetryPolicy", "RetryRule", "RetryAction", "RetryDecision"),
    **_from(
        "deadline",
        "DeadlineAlert",
        "DeadlineReference",
        "BaseDeadlineReference",
        "deadline_reference",
        "SyncCallback",
        "AsyncCallback",
    ),
    "TaskInstance": "riir_airflow.runtime.task_instance:RuntimeTaskInstance",
    "conf": "riir_airflow.config:conf",
    "__version__": "riir_airflow._version:TASK_SDK_VERSION",
    "macros": "riir_airflow.authoring:macros",
}
_DECORATOR_BASE = {
    **_from("decorators", "DecoratedOperator", "get_unique_task_id", "TaskDecoratorCollection"),
    **_from("decorator_factory", "TaskDecorator", "task_decorator_factory"),
    **_from("mapped", "DecoratedMappedOperator"),
    **_from("sdk_helpers", "KeywordParameters", "is_async_callable"),
    **_from("standard.python", "determine_kwargs"),
}

EXPORTS: dict[str, dict[str, str]] = {
    "sdk": SDK,
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
        **_from("operatorlink", "BaseOperatorLink"),
        **_from("xcom", "BaseXCom", "XCom"),
        **_from("skipmixin", "SkipMixin"),
        **_from("pool", "Pool"),
        "ID_LEN": "node:MAX_KEY_LENGTH",
        "TaskInstance": "riir_airflow.runtime.task_instance:RuntimeTaskInstance",
        "DagRun": "riir_airflow.runtime.task_instance:DagRunView",
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
    "sensors.external_task": _EXTERNAL_TASK,
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
    "providers.standard.sensors.external_task": _EXTERNAL_TASK,
    "providers.standard.utils.weekday": _from("standard.weekday", "WeekDay"),
    "utils.weekday": _from("standard.weekday", "WeekDay"),
    "utils.trigger_rule": _from("trigger_rule", "TriggerRule"),
    "utils.weight_rule": {
        **_from("trigger_rule", "WeightRule"),
        **_from("baseoperator", "DB_SAFE_MINIMUM", "DB_SAFE_MAXIMUM"),
        **_from("priority", "db_safe_priority"),
    },
    "task.trigger_rule": _from("trigger_rule", "TriggerRule"),
    "utils.task_group": _from("taskgroup", "TaskGroup"),
    # Airflow's internal context behind `with setup_task >> teardown_task:`; `SetupTeardownContext.add_task(t)` is
    # the one public use.
    "utils.setup_teardown": {
        "SetupTeardownContext": "setup_teardown:SetupTeardownScope",
        "BaseSetupTeardownContext": "setup_teardown:SetupTeardownScope",
    },
    "utils.edgemodifier": _from("edges", "Label"),
    "utils.state": _from("states", "TaskInstanceState", "DagRunState", "State"),
    "hooks.base": _from("hook", "BaseHook"),
    "sdk.bases.operator": {
        **_from("baseoperator", "BaseOperator", "chain", "chain_linear", "cross_downstream"),
        **_from("async_operator", "BaseAsyncOperator"),
    },
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
    "macros": {
        "annotations": "macros:FUTURE_ANNOTATIONS",
        **_from(
            "macros",
            "ds_add",
            "ds_format",
            "datetime_diff_for_humans",
            "datetime",
            "timedelta",
            "random",
            "json",
            "time",
            "uuid",
            "dateutil",
            "ds_format_locale",
            "yaml",
            "Any",
            "TYPE_CHECKING",
        ),
    },
    "sdk.exceptions": {
        **{name: f"exceptions:{name}" for name in [*_EXCEPTIONS, "AirflowConfigException"]},
        **_from("exceptions", "ErrorType", "RemovedInAirflow4Warning"),
    },
    "models.operator": _from("baseoperator", "BaseOperator"),
    "models.abstractoperator": _from(
        "abstractoperator",
        "AbstractOperator",
        "DEFAULT_OWNER",
        "DEFAULT_QUEUE",
        "DEFAULT_TASK_EXECUTION_TIMEOUT",
        "TaskStateChangeCallback",
    ),
    "models.baseoperatorlink": _from("operatorlink", "BaseOperatorLink"),
    "models.xcom": {**_from("xcom", "BaseXCom", "XCom"), **_from("xcom_arg", "XCOM_RETURN_KEY")},
    "models.pool": _from("pool", "Pool"),
    "notifications.basenotifier": _from("notifier", "BaseNotifier"),
    "sdk.bases.operatorlink": _from("operatorlink", "BaseOperatorLink"),
    "sdk.bases.notifier": _from("notifier", "BaseNotifier"),
    "sdk.bases.xcom": _from("xcom", "BaseXCom"),
    "sdk.bases.resumablejobmixin": _from("resumable", "ResumableJobMixin"),
    "sdk.definitions.deadline": _from(
        "deadline",
        "DeadlineAlert",
        "DeadlineReference",
        "BaseDeadlineReference",
        "deadline_reference",
        "VariableInterval",
    ),
    "sdk.definitions.callback": _from("deadline", "Callback", "SyncCallback", "AsyncCallback"),
    "sdk.definitions.retry_policy": _from(
        "retry_policy", "RetryPolicy", "ExceptionRetryPolicy", "RetryRule", "RetryAction", "RetryDecision"
    ),
    "sdk.definitions.operator_resources": _OPERATOR_RESOURCES,
    "utils.operator_resources": _OPERATOR_RESOURCES,
    "utils.timezone": _TIMEZONE,
    "sdk.timezone": _TIMEZONE,
    "utils.xcom": _from("xcom_arg", "XCOM_RETURN_KEY"),
    "utils.timeout": _from("timeout", "timeout"),
    "utils.helpers": _from("airflow_utils", *_AIRFLOW_HELPERS),
    "assets": {},
    "configuration": {"conf": "riir_airflow.config:conf"},
    "version": {"version": "riir_airflow._version:AIRFLOW_VERSION"},
    # What provider distributions import from Airflow's internals (survey of their wheels, docs/providers.md).
    "providers_manager": _from("providers_manager", *_PROVIDERS_MANAGER),
    "utils.types": {**_from("notset", "ArgNotSet", "NOTSET"), **_from("states", "DagRunType")},
    "sdk.definitions._internal.types": _from(
        "notset", "ArgNotSet", "NOTSET", "SET_DURING_EXECUTION", "SetDuringExecution", "is_arg_set"
    ),
    "utils.log.logging_mixin": _from("logging_mixin", "LoggingMixin", "remove_escape_codes"),
    "utils.platform": _from("airflow_utils", "getuser"),
    "utils.yaml": _from("airflow_yaml", "safe_load", "full_load", "dump"),
    "utils.strings": _from("airflow_utils", "to_boolean", "get_random_string"),
    "utils.hashlib_wrapper": _from("airflow_utils", "md5"),
    "utils.file": _from("airflow_utils", "correct_maybe_zipped"),
    "utils.module_loading": {
        **_from("module_loading", "import_string", "qualname"),
        **_from("sdk_helpers", "iter_namespace"),
    },
    "utils.operator_helpers": {
        **_from("standard.python", "determine_kwargs"),
        **_from("sdk_helpers", "KeywordParameters", "make_kwargs_callable"),
    },
    "models.taskinstancekey": _from("sdk_helpers", "TaskInstanceKey"),
    "sdk.types": _from("sdk_helpers", "TaskInstanceKey"),
    "sdk.definitions.context": {**_from("context_type", "Context"), **_from("sdk_helpers", "context_merge")},
    "sdk.definitions.template": _from("templating", "literal"),
    "sdk.execution_time.context": {
        **_from("sdk_helpers", "AIRFLOW_VAR_NAME_FORMAT_MAPPING"),
        **_from("state_store", "NEVER_EXPIRE"),
        "context_to_airflow_vars": "riir_airflow.authoring.current_context:context_to_airflow_vars",
    },
    # airflow.partition_mappers (core): where Airflow's example plugins import PartitionMapper and Window from.
    "partition_mappers": _from("partition_mappers", *_PARTITION_MAPPERS),
    "partition_mappers.base": _from("partition_mappers", "PartitionMapper", "RollupMapper"),
    "partition_mappers.allowed_key": _from("partition_mappers", "AllowedKeyMapper"),
    "partition_mappers.chain": _from("partition_mappers", "ChainMapper"),
    "partition_mappers.fixed_key": _from("partition_mappers", "FixedKeyMapper"),
    "partition_mappers.identity": _from("partition_mappers", "IdentityMapper"),
    "partition_mappers.product": _from("partition_mappers", "ProductMapper"),
    "partition_mappers.temporal": _from(
        "partition_mappers",
        "FanOutMapper",
        "StartOfHourMapper",
        "StartOfDayMapper",
        "StartOfWeekMapper",
        "StartOfMonthMapper",
        "StartOfQuarterMapper",
        "StartOfYearMapper",
    ),
    "partition_mappers.wait_policy": _from("partition_mappers", "WaitPolicy", "WaitForAll", "MinimumCount"),
    "partition_mappers.window": _from(
        "partition_mappers",
        "Window",
        "HourWindow",
        "DayWindow",
        "WeekWindow",
        "MonthWindow",
        "QuarterWindow",
        "YearWindow",
        "SegmentWindow",
    ),
    "utils.deprecation_tools": _from(
        "deprecation_tools", "DeprecatedImportWarning", "add_deprecated_classes", "getattr_with_deprecation"
    ),
    "sdk.log": _from("secrets_masker", "mask_secret", "redact"),
    "api_fastapi.auth.managers.models.resource_details": _from(
        "resource_details", "AssetDetails", "AssetAliasDetails", "AccessView"
    ),
    "models.asset": _from("resource_details", "expand_alias_to_assets"),
    "settings": _from("sdk_helpers", "AIRFLOW_HOME", "pod_mutation_hook"),
    "secrets": _from("secrets_backends", "BaseSecretsBackend"),
    "secrets.base_secrets": _from("secrets_backends", "BaseSecretsBackend"),
    "sdk.bases.secrets_backend": _from("secrets_backends", "BaseSecretsBackend"),
    "sdk._shared.module_loading": _from("sdk_helpers", "is_valid_dotpath", "iter_namespace"),
    "triggers.base": _TRIGGER_BASE,
    "triggers.temporal": _TEMPORAL_TRIGGERS,
    "triggers.file": _FILE_TRIGGERS,
    "providers.standard.triggers.temporal": _TEMPORAL_TRIGGERS,
    "providers.standard.triggers.file": _FILE_TRIGGERS,
    "triggers.external_task": _EXTERNAL_TASK_TRIGGERS,
    "providers.standard.triggers.external_task": _EXTERNAL_TASK_TRIGGERS,
    "providers.standard.decorators.python": _from("standard.decorators", "python_task"),
    "providers.standard.decorators.bash": _from("standard.decorators", "bash_task"),
    "providers.standard.decorators.branch_python": _from("standard.decorators", "branch_task"),
    "providers.standard.decorators.short_circuit": _from("standard.decorators", "short_circuit_task"),
    "providers.standard.decorators.sensor": _from("standard.decorators", "sensor_task"),
    "providers.standard.decorators.python_virtualenv": _from("standard.decorators", "virtualenv_task"),
    "providers.standard.decorators.stub": _from("standard.decorators", "stub"),
    "providers.standard.decorators.branch_virtualenv": _from("standard.decorators", "branch_virtualenv_task"),
    "providers.standard.decorators.external_python": _from("standard.decorators", "external_python_task"),
    "providers.standard.decorators.branch_external_python": _from("standard.decorators", "branch_external_python_task"),
    "providers.standard.operators.hitl": _from(
        "standard.hitl", "HITLOperator", "ApprovalOperator", "HITLBranchOperator", "HITLEntryOperator"
    ),
    "providers.standard.exceptions": _from(
        "standard.exceptions",
        "AirflowExternalTaskSensorException",
        "ExternalDagNotFoundError",
        "ExternalDagDeletedError",
        "ExternalTaskNotFoundError",
        "ExternalTaskGroupNotFoundError",
        "ExternalTaskFailedError",
        "ExternalTaskGroupFailedError",
        "ExternalDagFailedError",
        "DuplicateStateError",
        "HITLTriggerEventError",
        "HITLTimeoutError",
        "HITLRejectException",
    ),
    "sdk.lineage": _from(
        "lineage",
        "HookLineageCollector",
        "NoOpCollector",
        "HookLineageReader",
        "HookLineage",
        "AssetLineageInfo",
        "ExtraLineageInfo",
        "get_hook_lineage_collector",
    ),
    "sdk.io": _from("object_storage", "ObjectStoragePath", "attach"),
    "sdk.io.path": _from("object_storage", "ObjectStoragePath"),
    "sdk.io.store": _from("object_storage", "ObjectStore", "attach"),
    "sdk.io.stat": _from("object_storage", "stat_result"),
    "sdk.io.typedef": _from("object_storage", "Properties"),
    "io.path": _from("object_storage", "ObjectStoragePath"),
    "io.storage": _from("object_storage", "attach"),
    "io.typedef": _from("object_storage", "Properties"),
    "hooks.package_index": _from("standard.hooks", "PackageIndexHook"),
    "providers.standard.hooks.package_index": _from("standard.hooks", "PackageIndexHook"),
    "hooks.filesystem": _from("standard.hooks", "FSHook"),
    "hooks.subprocess": _from("standard.hooks", "SubprocessHook", "SubprocessResult", "working_directory"),
    "providers.standard.hooks.filesystem": _from("standard.hooks", "FSHook"),
    "providers.standard.hooks.subprocess": _from(
        "standard.hooks", "SubprocessHook", "SubprocessResult", "working_directory"
    ),
    "sdk.module_loading": {
        **_from("module_loading", "import_string", "qualname"),
        **_from("sdk_helpers", "iter_namespace", "is_valid_dotpath"),
    },
    "utils.entry_points": _from(
        "module_loading",
        "accepts_context",
        "accepts_keyword_args",
        "entry_points_with_dist",
        "import_string",
        "is_valid_dotpath",
        "iter_namespace",
        "qualname",
    ),
    "utils.decorators": {
        **_from("module_loading", "fixup_decorator_warning_stack"),
        **_from("standard.virtualenv", "remove_task_decorator"),
    },
    "timetables.base": {
        **_from("timetables", "Timetable", "DataInterval", "TimeRestriction", "DagRunInfo"),
        **_from("partition_timetables", "PartitionMapperInfo", "compute_rollup_fingerprint"),
    },
    "timetables.interval": _from("timetables", "CronDataIntervalTimetable", "DeltaDataIntervalTimetable"),
    "timetables.trigger": {
        **_from("timetables", "CronTriggerTimetable", "DeltaTriggerTimetable", "MultipleCronTriggerTimetable"),
        **_from("partition_timetables", "CronPartitionTimetable"),
    },
    "timetables.events": _from("timetables", "EventsTimetable"),
    "timetables.simple": {
        **_from("timetables", "NullTimetable", "OnceTimetable", "ContinuousTimetable", "AssetTriggeredTimetable"),
        **_from("partition_timetables", "PartitionedAssetTimetable", "PartitionedAtRuntime"),
    },
    "timetables.assets": _from("timetables", "AssetOrTimeSchedule"),
    # Plugins (riir_airflow/plugins/): the manager, listener hooks, priority weight strategies.
    "plugins_manager": {name: f"riir_airflow.plugins.manager:{name}" for name in _PLUGINS_MANAGER},
    "sdk.plugins_manager": {name: f"riir_airflow.plugins.manager:{name}" for name in _PLUGINS_MANAGER},
    "sdk.listener": {
        name: f"riir_airflow.plugins.listeners:{name}" for name in ("ListenerManager", "get_listener_manager")
    },
    "listeners": {"hookimpl": "riir_airflow.plugins.listeners:hookimpl"},
    "listeners.listener": {
        name: f"riir_airflow.plugins.listeners:{name}" for name in ("ListenerManager", "get_listener_manager")
    },
    "task.priority_strategy": _from(
        "priority",
        "PriorityWeightStrategy",
        "_AbsolutePriorityWeightStrategy",
        "_DownstreamPriorityWeightStrategy",
        "_UpstreamPriorityWeightStrategy",
        "get_airflow_priority_weight_strategies",
        "validate_and_load_priority_weight_strategy",
    ),
    "task.weight_rule": _from("trigger_rule", "WeightRule"),
    # The server-side task instance: listeners tell it apart from the RuntimeTaskInstance task processes pass them
    # (riir never calls a listener with one: its broker runs no plugin code).
    "models.taskinstance": {"TaskInstance": "riir_airflow.engine.records:TaskInstanceRecord"},
}

# Paths whose module is real code rather than a generated re-export (riir_airflow.exceptions defines the classes).
REAL_MODULES = {"exceptions"}

# Re-export modules that import each name on first use, as Airflow's own `airflow.sdk` and `airflow.models` do:
# `from airflow.sdk import dag, task` loads those two, not every module the SDK names (Jinja, the runtime, ...).
LAZY_MODULES = frozenset({"sdk", "models"})

# Airflow's names (compat-tests/structure/airflow_names.json) that riir_airflow deliberately does not provide, as
# "module" (every name of that module) or "module:name", each with the reason. tests/authoring/test_import_parity.py
# checks every other name Airflow has; nothing else is skipped.
_ORM = (
    "is an ORM model of Airflow's metadata database; riir-airflow's metastore has no ORM and task code never queries it"
)
# Airflow's ORM names in airflow.models, each with what to use instead.
_ORM_ALTERNATIVES = {
    "Base": "there is no declarative base to subclass",
    "DagModel": "read DAGs through the REST API (GET /api/v2/dags/{dag_id}) or `riir-airflow dags details`",
    "DagTag": "DAG tags come with each DAG in GET /api/v2/dags",
    "DagWarning": "DAG warnings are not recorded",
    "DbCallbackRequest": "callbacks run in the DAG's app; nothing to queue",
    "Deadline": "declare deadlines with airflow.sdk.DeadlineAlert",
    "Log": "read the event log through GET /api/v2/eventLogs",
    "RenderedTaskInstanceFields": "rendered fields come with GET /api/v2/dags/{dag_id}/dagRuns/{run_id}/"
    "taskInstances/{task_id}",
    "TaskReschedule": "a sensor reads its reschedule count from context['task_reschedule_count']",
    "Trigger": "deferred tasks' triggers run in the DAG's app; nothing to query",
    "clear_task_instances": "clear through POST /api/v2/dags/{dag_id}/clearTaskInstances or `riir-airflow tasks clear`",
}
# Airflow 3 modules whose names moved into provider distributions riir does not ship (smtp, common-sql): as in
# Airflow, importing the old path warns (DeprecatedImportWarning) and resolves to the installed provider, or fails with
# Airflow's "Could not import ..." message when that provider is not installed.
MOVED_TO_PROVIDERS: dict[str, dict[str, str]] = {
    "operators.email": {"EmailOperator": "airflow.providers.smtp.operators.smtp.EmailOperator"},
    "operators.generic_transfer": {
        "GenericTransfer": "airflow.providers.common.sql.operators.generic_transfer.GenericTransfer"
    },
}
# Airflow names riir-airflow does not provide, as "module" (the whole module) or "module:name", each with the message
# a user gets on import (what is missing, why, and what to use instead). tests/authoring/test_import_parity.py
# checks every other name Airflow has.
OUT_OF_SCOPE: dict[str, str] = {
    **{f"models:{name}": f"{name} {_ORM}: {use}" for name, use in _ORM_ALTERNATIVES.items()},
}


def unavailable_module_error(module: str) -> ImportError:
    """What importing an out-of-scope module (`airflow.<module>`) raises."""
    return ImportError(f"airflow.{module} is not available in riir-airflow: {OUT_OF_SCOPE[module]}")


def out_of_scope_error(module: str, name: str) -> Exception:
    """What `airflow.<module>.<name>` raises: ImportError saying why and what to use for an out-of-scope name,
    AttributeError (as for any missing attribute) otherwise."""
    reason = OUT_OF_SCOPE.get(f"{module}:{name}")
    if reason is not None:
        return ImportError(f"airflow.{module}.{name} is not available in riir-airflow: {reason}")
    return AttributeError(f"module 'riir_airflow.{module}' has no attribute {name!r}")


# Names riir_airflow provides whose kind (class, function, value type...) differs from Airflow's, with the reason;
# the parity test checks every other name's kind.
KIND_DIFFERENCES: dict[str, str] = {
    "sdk:conf": "riir's one AirflowConfigParser serves both airflow.configuration.conf and airflow.sdk.conf",
}


def out_of_scope_reason(module: str, name: str | None = None) -> str | None:
    """Why `module` (below airflow), or one of its names, is out of scope; None when it is in scope."""
    if module in OUT_OF_SCOPE:
        return OUT_OF_SCOPE[module]
    if name is not None:
        return OUT_OF_SCOPE.get(f"{module}:{name}")
    return None


GENERATED_MARKER = "Generated from riir_airflow/import_paths.py; edit the table there, not this file."


# Short table names of the modules that live outside riir_airflow.authoring.
_OUTSIDE_AUTHORING = {
    "exceptions": "riir_airflow.exceptions",
    "dagbag": "riir_airflow.dag_processing.loader",
    "secrets": "riir_airflow.authoring.secrets_backends",
    "serialization": "riir_airflow.serialization.serialized_dag",
    "providers_manager": "riir_airflow.plugins.providers_manager",
    "timetables": "riir_airflow.schedules.timetables",
    "timezone": "riir_airflow.schedules.timezone",
    "partition_mappers": "riir_airflow.schedules.partition_mappers",
    "partition_timetables": "riir_airflow.schedules.partition_timetables",
    "schedule_presets": "riir_airflow.schedules.presets",
    "settings": "riir_airflow.core_settings",
    "assets": "riir_airflow.schedules.assets",
    "asset_access": "riir_airflow.schedules.asset_access",
    "states": "riir_airflow.states",
    "backfill": "riir_airflow.schedules.backfill",
}


def _by_type(name: str) -> tuple[int, str]:
    """isort's (and ruff's) order: CONSTANTS, then Classes, then everything else."""
    return (0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2, name)


def _resolve(target: str) -> tuple[str, str]:
    """`target` is "module:attr" below riir_airflow.authoring, or "riir_airflow.x:attr" (and the short names of
    `_OUTSIDE_AUTHORING` are the modules it names). Returns the full module path and the attribute."""
    module, _, attr = target.partition(":")
    if module in _OUTSIDE_AUTHORING:
        return _OUTSIDE_AUTHORING[module], attr
    if module.startswith("riir_airflow."):
        return module, attr
    return f"riir_airflow.authoring.{module}", attr


def _import_line(target: str, public: str) -> tuple[tuple[str, tuple[int, str]], str]:
    """A sort key and the import statement of `target` (see `_resolve`) as `public`."""
    base, attr = _resolve(target)
    line = f"from {base} import {attr} as {public}"
    if len(line) > 120:
        line = f"from {base} import (\n    {attr} as {public},\n)"
    return (base, _by_type(attr)), line


def _source(path: str, names: dict[str, str]) -> str:
    if path in LAZY_MODULES:
        return _lazy_source(path, names)
    lines = [f'"""Airflow\'s `airflow.{path}`: re-exports only.', "", GENERATED_MARKER, '"""', ""]
    if not names:
        lines[0] = f'"""Airflow\'s `airflow.{path}`: Airflow 3 removed the names DAG authors imported from here.'
        return "\n".join([*lines, "__all__: list[str] = []"]) + "\n"
    lines.extend(line for _, line in sorted(_import_line(target, public) for public, target in names.items()))
    lines.append("")
    lines.append("__all__ = [")
    lines.extend(f'    "{name}",' for name in sorted(names, key=_by_type))
    lines.append("]")
    if any(key.startswith(f"{path}:") for key in OUT_OF_SCOPE):
        lines.extend(["", "", *_getattr_lines(path)])
    return "\n".join(lines) + "\n"


def _lazy_source(path: str, names: dict[str, str]) -> str:
    """A re-export module whose names are imported on first use (PEP 562); type checkers read the imports."""
    lines = [
        f'"""Airflow\'s `airflow.{path}`: re-exports only, each imported on first use (as Airflow\'s own module).',
        "",
        GENERATED_MARKER,
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import importlib",
        "from typing import TYPE_CHECKING",
        "",
        "if TYPE_CHECKING:",
    ]
    for _, line in sorted(_import_line(target, public) for public, target in names.items()):
        lines.extend(f"    {part}" if part else part for part in line.split("\n"))
    lines.extend(["", "# public name -> (module, attribute)", "_TARGETS: dict[str, tuple[str, str]] = {"])
    for public in sorted(names, key=_by_type):
        module, attr = _resolve(names[public])
        lines.append(f'    "{public}": ("{module}", "{attr}"),')
    lines.extend(["}", "", "__all__ = ["])
    lines.extend(f'    "{name}",' for name in sorted(names, key=_by_type))
    lines.extend(
        [
            "]",
            "",
            "",
            "def __getattr__(name: str) -> object:",
            '    """Imports a name on first use; Airflow names riir-airflow does not provide fail with why."""',
            "    target = _TARGETS.get(name)",
            "    if target is None:",
            "        from riir_airflow.import_paths import out_of_scope_error",
            "",
            f'        raise out_of_scope_error("{path}", name)',
            "    module = importlib.import_module(target[0])",
            "    if hasattr(module, target[1]):",
            "        value = getattr(module, target[1])",
            "    else:  # a submodule (`airflow.sdk.macros`)",
            '        value = importlib.import_module(".".join(target))',
            "    globals()[name] = value",
            "    return value",
            "",
            "",
            "def __dir__() -> list[str]:",
            "    return sorted({*globals(), *__all__})",
        ]
    )
    return "\n".join(lines) + "\n"


def _getattr_lines(path: str) -> list[str]:
    return [
        "def __getattr__(name: str) -> object:",
        '    """Airflow names riir-airflow does not provide fail with why, and what to use instead."""',
        "    from riir_airflow.import_paths import out_of_scope_error",
        "",
        f'    raise out_of_scope_error("{path}", name)',
    ]


def _unavailable_source(path: str) -> str:
    """A module Airflow has and riir-airflow does not: importing it says why and what to use instead."""
    return (
        "\n".join(
            [
                f'"""Airflow\'s `airflow.{path}`: not available in riir-airflow (see the message below).',
                "",
                GENERATED_MARKER,
                '"""',
                "",
                "from riir_airflow.import_paths import unavailable_module_error",
                "",
                f'raise unavailable_module_error("{path}")',
            ]
        )
        + "\n"
    )


def _moved_source(path: str) -> str:
    """A module whose names moved to a provider distribution: each resolves on first use, with Airflow's warning."""
    return "\n".join([
        f'"""Airflow\'s `airflow.{path}`: its names moved to a provider distribution (resolved with a warning).',
        "",
        GENERATED_MARKER,
        '"""',
        "",
        "from riir_airflow.authoring.deprecation_tools import getattr_with_deprecation",
        "from riir_airflow.import_paths import MOVED_TO_PROVIDERS",
        "",
        f'_MOVED = MOVED_TO_PROVIDERS["{path}"]',
        "",
        "",
        "def __getattr__(name: str) -> object:",
        f'    return getattr_with_deprecation(_MOVED, "airflow.{path}", {{}}, "", name)',
    ]) + "\n"  # fmt: skip


def _package_doc(path: str) -> str:
    return f'"""Airflow\'s `airflow.{path}` package (riir_airflow mirror).\n\n{GENERATED_MARKER}\n"""\n'


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
    for path in OUT_OF_SCOPE:
        if ":" in path or path in EXPORTS:
            continue
        parts = path.split(".")
        for depth in range(1, len(parts)):
            files.setdefault(root.joinpath(*parts[:depth], "__init__.py"), _package_doc(".".join(parts[:depth])))
        files[root.joinpath(*parts[:-1], parts[-1] + ".py")] = _unavailable_source(path)
    for path in MOVED_TO_PROVIDERS:
        parts = path.split(".")
        files[root.joinpath(*parts[:-1], parts[-1] + ".py")] = _moved_source(path)
    return files


def files_on_disk(root: Path) -> set[Path]:
    """The files below `root` that say they were generated from this table."""
    return {
        file
        for file in root.rglob("*.py")
        # the real code (authoring/) and this table itself mention the marker without being generated
        if file.relative_to(root).parts[0] != "authoring"
        and file.name != "import_paths.py"
        and GENERATED_MARKER in file.read_text()
    }


def write(root: Path) -> None:
    """Writes every mirror file and deletes generated files the table no longer has."""
    expected = generated_files(root)
    for stale in files_on_disk(root) - set(expected):
        stale.unlink()
    for file, content in expected.items():
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content)


if __name__ == "__main__":
    package_root = Path(__file__).resolve().parent
    if sys.argv[1:] == ["--write"]:
        write(package_root)
    else:
        print("usage: python -m riir_airflow.import_paths --write", file=sys.stderr)
        sys.exit(2)
