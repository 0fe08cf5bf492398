"""Airflow's `airflow.sdk`: re-exports only, each imported on first use (as Airflow's own module).

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from riir_airflow._version import TASK_SDK_VERSION as __version__
    from riir_airflow.authoring import macros as macros
    from riir_airflow.authoring.asset_decorator import asset as asset
    from riir_airflow.authoring.async_operator import BaseAsyncOperator as BaseAsyncOperator
    from riir_airflow.authoring.baseoperator import BaseOperator as BaseOperator
    from riir_airflow.authoring.baseoperator import chain as chain
    from riir_airflow.authoring.baseoperator import chain_linear as chain_linear
    from riir_airflow.authoring.baseoperator import cross_downstream as cross_downstream
    from riir_airflow.authoring.branch import BaseBranchOperator as BaseBranchOperator
    from riir_airflow.authoring.connection import Connection as Connection
    from riir_airflow.authoring.context_type import Context as Context
    from riir_airflow.authoring.dag import DAG as DAG
    from riir_airflow.authoring.dag import dag as dag
    from riir_airflow.authoring.deadline import AsyncCallback as AsyncCallback
    from riir_airflow.authoring.deadline import BaseDeadlineReference as BaseDeadlineReference
    from riir_airflow.authoring.deadline import DeadlineAlert as DeadlineAlert
    from riir_airflow.authoring.deadline import DeadlineReference as DeadlineReference
    from riir_airflow.authoring.deadline import SyncCallback as SyncCallback
    from riir_airflow.authoring.deadline import deadline_reference as deadline_reference
    from riir_airflow.authoring.decorators import result as result
    from riir_airflow.authoring.decorators import setup as setup
    from riir_airflow.authoring.decorators import task as task
    from riir_airflow.authoring.decorators import teardown as teardown
    from riir_airflow.authoring.edges import EdgeModifier as EdgeModifier
    from riir_airflow.authoring.edges import Label as Label
    from riir_airflow.authoring.hook import BaseHook as BaseHook
    from riir_airflow.authoring.notifier import BaseNotifier as BaseNotifier
    from riir_airflow.authoring.object_storage import ObjectStoragePath as ObjectStoragePath
    from riir_airflow.authoring.operatorlink import BaseOperatorLink as BaseOperatorLink
    from riir_airflow.authoring.params import Param as Param
    from riir_airflow.authoring.params import ParamsDict as ParamsDict
    from riir_airflow.authoring.resumable import ResumableJobMixin as ResumableJobMixin
    from riir_airflow.authoring.retry_policy import ExceptionRetryPolicy as ExceptionRetryPolicy
    from riir_airflow.authoring.retry_policy import RetryAction as RetryAction
    from riir_airflow.authoring.retry_policy import RetryDecision as RetryDecision
    from riir_airflow.authoring.retry_policy import RetryPolicy as RetryPolicy
    from riir_airflow.authoring.retry_policy import RetryRule as RetryRule
    from riir_airflow.authoring.runtime_api import get_current_context as get_current_context
    from riir_airflow.authoring.runtime_api import get_parsing_context as get_parsing_context
    from riir_airflow.authoring.sensor import BaseSensorOperator as BaseSensorOperator
    from riir_airflow.authoring.sensor import PokeReturnValue as PokeReturnValue
    from riir_airflow.authoring.sensor import poke_mode_only as poke_mode_only
    from riir_airflow.authoring.skipmixin import BranchMixIn as BranchMixIn
    from riir_airflow.authoring.skipmixin import SkipMixin as SkipMixin
    from riir_airflow.authoring.state_store import NEVER_EXPIRE as NEVER_EXPIRE
    from riir_airflow.authoring.taskgroup import TaskGroup as TaskGroup
    from riir_airflow.authoring.taskgroup import task_group as task_group
    from riir_airflow.authoring.templating import literal as literal
    from riir_airflow.authoring.trigger_rule import TriggerRule as TriggerRule
    from riir_airflow.authoring.trigger_rule import WeightRule as WeightRule
    from riir_airflow.authoring.variable import Variable as Variable
    from riir_airflow.authoring.xcom import BaseXCom as BaseXCom
    from riir_airflow.authoring.xcom_arg import XComArg as XComArg
    from riir_airflow.config import conf as conf
    from riir_airflow.runtime.task_instance import RuntimeTaskInstance as TaskInstance
    from riir_airflow.schedules.asset_access import AssetAccessControl as AssetAccessControl
    from riir_airflow.schedules.assets import Asset as Asset
    from riir_airflow.schedules.assets import AssetAlias as AssetAlias
    from riir_airflow.schedules.assets import AssetAll as AssetAll
    from riir_airflow.schedules.assets import AssetAny as AssetAny
    from riir_airflow.schedules.assets import AssetWatcher as AssetWatcher
    from riir_airflow.schedules.assets import Dataset as Dataset
    from riir_airflow.schedules.assets import Metadata as Metadata
    from riir_airflow.schedules.assets import Model as Model
    from riir_airflow.schedules.partition_mappers import AllowedKeyMapper as AllowedKeyMapper
    from riir_airflow.schedules.partition_mappers import ChainMapper as ChainMapper
    from riir_airflow.schedules.partition_mappers import DayWindow as DayWindow
    from riir_airflow.schedules.partition_mappers import FanOutMapper as FanOutMapper
    from riir_airflow.schedules.partition_mappers import FixedKeyMapper as FixedKeyMapper
    from riir_airflow.schedules.partition_mappers import HourWindow as HourWindow
    from riir_airflow.schedules.partition_mappers import IdentityMapper as IdentityMapper
    from riir_airflow.schedules.partition_mappers import MinimumCount as MinimumCount
    from riir_airflow.schedules.partition_mappers import MonthWindow as MonthWindow
    from riir_airflow.schedules.partition_mappers import PartitionMapper as PartitionMapper
    from riir_airflow.schedules.partition_mappers import ProductMapper as ProductMapper
    from riir_airflow.schedules.partition_mappers import QuarterWindow as QuarterWindow
    from riir_airflow.schedules.partition_mappers import RollupMapper as RollupMapper
    from riir_airflow.schedules.partition_mappers import SegmentWindow as SegmentWindow
    from riir_airflow.schedules.partition_mappers import StartOfDayMapper as StartOfDayMapper
    from riir_airflow.schedules.partition_mappers import StartOfHourMapper as StartOfHourMapper
    from riir_airflow.schedules.partition_mappers import StartOfMonthMapper as StartOfMonthMapper
    from riir_airflow.schedules.partition_mappers import StartOfQuarterMapper as StartOfQuarterMapper
    from riir_airflow.schedules.partition_mappers import StartOfWeekMapper as StartOfWeekMapper
    from riir_airflow.schedules.partition_mappers import StartOfYearMapper as StartOfYearMapper
    from riir_airflow.schedules.partition_mappers import WaitForAll as WaitForAll
    from riir_airflow.schedules.partition_mappers import WeekWindow as WeekWindow
    from riir_airflow.schedules.partition_mappers import Window as Window
    from riir_airflow.schedules.partition_mappers import YearWindow as YearWindow
    from riir_airflow.schedules.partition_timetables import CronPartitionTimetable as CronPartitionTimetable
    from riir_airflow.schedules.partition_timetables import PartitionedAssetTimetable as PartitionedAssetTimetable
    from riir_airflow.schedules.partition_timetables import PartitionedAtRuntime as PartitionedAtRuntime
    from riir_airflow.schedules.timetables import AssetOrTimeSchedule as AssetOrTimeSchedule
    from riir_airflow.schedules.timetables import CronDataIntervalTimetable as CronDataIntervalTimetable
    from riir_airflow.schedules.timetables import CronTriggerTimetable as CronTriggerTimetable
    from riir_airflow.schedules.timetables import DeltaDataIntervalTimetable as DeltaDataIntervalTimetable
    from riir_airflow.schedules.timetables import DeltaTriggerTimetable as DeltaTriggerTimetable
    from riir_airflow.schedules.timetables import EventsTimetable as EventsTimetable
    from riir_airflow.schedules.timetables import MultipleCronTriggerTimetable as MultipleCronTriggerTimetable
    from riir_airflow.states import DagRunState as DagRunState
    from riir_airflow.states import TaskInstanceState as TaskInstanceState

# public name -> (module, attribute)
_TARGETS: dict[str, tuple[str, str]] = {
    "DAG": ("riir_airflow.authoring.dag", "DAG"),
    "NEVER_EXPIRE": ("riir_airflow.authoring.state_store", "NEVER_EXPIRE"),
    "AllowedKeyMapper": ("riir_airflow.schedules.partition_mappers", "AllowedKeyMapper"),
    "Asset": ("riir_airflow.schedules.assets", "Asset"),
    "AssetAccessControl": ("riir_airflow.schedules.asset_access", "AssetAccessControl"),
    "AssetAlias": ("riir_airflow.schedules.assets", "AssetAlias"),
    "AssetAll": ("riir_airflow.schedules.assets", "AssetAll"),
    "AssetAny": ("riir_airflow.schedules.assets", "AssetAny"),
    "AssetOrTimeSchedule": ("riir_airflow.schedules.timetables", "AssetOrTimeSchedule"),
    "AssetWatcher": ("riir_airflow.schedules.assets", "AssetWatcher"),
    "AsyncCallback": ("riir_airflow.authoring.deadline", "AsyncCallback"),
    "BaseAsyncOperator": ("riir_airflow.authoring.async_operator", "BaseAsyncOperator"),
    "BaseBranchOperator": ("riir_airflow.authoring.branch", "BaseBranchOperator"),
    "BaseDeadlineReference": ("riir_airflow.authoring.deadline", "BaseDeadlineReference"),
    "BaseHook": ("riir_airflow.authoring.hook", "BaseHook"),
    "BaseNotifier": ("riir_airflow.authoring.notifier", "BaseNotifier"),
    "BaseOperator": ("riir_airflow.authoring.baseoperator", "BaseOperator"),
    "BaseOperatorLink": ("riir_airflow.authoring.operatorlink", "BaseOperatorLink"),
    "BaseSensorOperator": ("riir_airflow.authoring.sensor", "BaseSensorOperator"),
    "BaseXCom": ("riir_airflow.authoring.xcom", "BaseXCom"),
    "BranchMixIn": ("riir_airflow.authoring.skipmixin", "BranchMixIn"),
    "ChainMapper": ("riir_airflow.schedules.partition_mappers", "ChainMapper"),
    "Connection": ("riir_airflow.authoring.connection", "Connection"),
    "Context": ("riir_airflow.authoring.context_type", "Context"),
    "CronDataIntervalTimetable": ("riir_airflow.schedules.timetables", "CronDataIntervalTimetable"),
    "CronPartitionTimetable": ("riir_airflow.schedules.partition_timetables", "CronPartitionTimetable"),
    "CronTriggerTimetable": ("riir_airflow.schedules.timetables", "CronTriggerTimetable"),
    "DagRunState": ("riir_airflow.states", "DagRunState"),
    "Dataset": ("riir_airflow.schedules.assets", "Dataset"),
    "DayWindow": ("riir_airflow.schedules.partition_mappers", "DayWindow"),
    "DeadlineAlert": ("riir_airflow.authoring.deadline", "DeadlineAlert"),
    "DeadlineReference": ("riir_airflow.authoring.deadline", "DeadlineReference"),
    "DeltaDataIntervalTimetable": ("riir_airflow.schedules.timetables", "DeltaDataIntervalTimetable"),
    "DeltaTriggerTimetable": ("riir_airflow.schedules.timetables", "DeltaTriggerTimetable"),
    "EdgeModifier": ("riir_airflow.authoring.edges", "EdgeModifier"),
    "EventsTimetable": ("riir_airflow.schedules.timetables", "EventsTimetable"),
    "ExceptionRetryPolicy": ("riir_airflow.authoring.retry_policy", "ExceptionRetryPolicy"),
    "FanOutMapper": ("riir_airflow.schedules.partition_mappers", "FanOutMapper"),
    "FixedKeyMapper": ("riir_airflow.schedules.partition_mappers", "FixedKeyMapper"),
    "HourWindow": ("riir_airflow.schedules.partition_mappers", "HourWindow"),
    "IdentityMapper": ("riir_airflow.schedules.partition_mappers", "IdentityMapper"),
    "Label": ("riir_airflow.authoring.edges", "Label"),
    "Metadata": ("riir_airflow.schedules.assets", "Metadata"),
    "MinimumCount": ("riir_airflow.schedules.partition_mappers", "MinimumCount"),
    "Model": ("riir_airflow.schedules.assets", "Model"),
    "MonthWindow": ("riir_airflow.schedules.partition_mappers", "MonthWindow"),
    "MultipleCronTriggerTimetable": ("riir_airflow.schedules.timetables", "MultipleCronTriggerTimetable"),
    "ObjectStoragePath": ("riir_airflow.authoring.object_storage", "ObjectStoragePath"),
    "Param": ("riir_airflow.authoring.params", "Param"),
    "ParamsDict": ("riir_airflow.authoring.params", "ParamsDict"),
    "PartitionMapper": ("riir_airflow.schedules.partition_mappers", "PartitionMapper"),
    "PartitionedAssetTimetable": ("riir_airflow.schedules.partition_timetables", "PartitionedAssetTimetable"),
    "PartitionedAtRuntime": ("riir_airflow.schedules.partition_timetables", "PartitionedAtRuntime"),
    "PokeReturnValue": ("riir_airflow.authoring.sensor", "PokeReturnValue"),
    "ProductMapper": ("riir_airflow.schedules.partition_mappers", "ProductMapper"),
    "QuarterWindow": ("riir_airflow.schedules.partition_mappers", "QuarterWindow"),
    "ResumableJobMixin": ("riir_airflow.authoring.resumable", "ResumableJobMixin"),
    "RetryAction": ("riir_airflow.authoring.retry_policy", "RetryAction"),
    "RetryDecision": ("riir_airflow.authoring.retry_policy", "RetryDecision"),
    "RetryPolicy": ("riir_airflow.authoring.retry_policy", "RetryPolicy"),
    "RetryRule": ("riir_airflow.authoring.retry_policy", "RetryRule"),
    "RollupMapper": ("riir_airflow.schedules.partition_mappers", "RollupMapper"),
    "SegmentWindow": ("riir_airflow.schedules.partition_mappers", "SegmentWindow"),
    "SkipMixin": ("riir_airflow.authoring.skipmixin", "SkipMixin"),
    "StartOfDayMapper": ("riir_airflow.schedules.partition_mappers", "StartOfDayMapper"),
    "StartOfHourMapper": ("riir_airflow.schedules.partition_mappers", "StartOfHourMapper"),
    "StartOfMonthMapper": ("riir_airflow.schedules.partition_mappers", "StartOfMonthMapper"),
    "StartOfQuarterMapper": ("riir_airflow.schedules.partition_mappers", "StartOfQuarterMapper"),
    "StartOfWeekMapper": ("riir_airflow.schedules.partition_mappers", "StartOfWeekMapper"),
    "StartOfYearMapper": ("riir_airflow.schedules.partition_mappers", "StartOfYearMapper"),
    "SyncCallback": ("riir_airflow.authoring.deadline", "SyncCallback"),
    "TaskGroup": ("riir_airflow.authoring.taskgroup", "TaskGroup"),
    "TaskInstance": ("riir_airflow.runtime.task_instance", "RuntimeTaskInstance"),
    "TaskInstanceState": ("riir_airflow.states", "TaskInstanceState"),
    "TriggerRule": ("riir_airflow.authoring.trigger_rule", "TriggerRule"),
    "Variable": ("riir_airflow.authoring.variable", "Variable"),
    "WaitForAll": ("riir_airflow.schedules.partition_mappers", "WaitForAll"),
    "WeekWindow": ("riir_airflow.schedules.partition_mappers", "WeekWindow"),
    "WeightRule": ("riir_airflow.authoring.trigger_rule", "WeightRule"),
    "Window": ("riir_airflow.schedules.partition_mappers", "Window"),
    "XComArg": ("riir_airflow.authoring.xcom_arg", "XComArg"),
    "YearWindow": ("riir_airflow.schedules.partition_mappers", "YearWindow"),
    "__version__": ("riir_airflow._version", "TASK_SDK_VERSION"),
    "asset": ("riir_airflow.authoring.asset_decorator", "asset"),
    "chain": ("riir_airflow.authoring.baseoperator", "chain"),
    "chain_linear": ("riir_airflow.authoring.baseoperator", "chain_linear"),
    "conf": ("riir_airflow.config", "conf"),
    "cross_downstream": ("riir_airflow.authoring.baseoperator", "cross_downstream"),
    "dag": ("riir_airflow.authoring.dag", "dag"),
    "deadline_reference": ("riir_airflow.authoring.deadline", "deadline_reference"),
    "get_current_context": ("riir_airflow.authoring.runtime_api", "get_current_context"),
    "get_parsing_context": ("riir_airflow.authoring.runtime_api", "get_parsing_context"),
    "literal": ("riir_airflow.authoring.templating", "literal"),
    "macros": ("riir_airflow.authoring", "macros"),
    "poke_mode_only": ("riir_airflow.authoring.sensor", "poke_mode_only"),
    "result": ("riir_airflow.authoring.decorators", "result"),
    "setup": ("riir_airflow.authoring.decorators", "setup"),
    "task": ("riir_airflow.authoring.decorators", "task"),
    "task_group": ("riir_airflow.authoring.taskgroup", "task_group"),
    "teardown": ("riir_airflow.authoring.decorators", "teardown"),
}

__all__ = [
    "DAG",
    "NEVER_EXPIRE",
    "AllowedKeyMapper",
    "Asset",
    "AssetAccessControl",
    "AssetAlias",
    "AssetAll",
    "AssetAny",
    "AssetOrTimeSchedule",
    "AssetWatcher",
    "AsyncCallback",
    "BaseAsyncOperator",
    "BaseBranchOperator",
    "BaseDeadlineReference",
    "BaseHook",
    "BaseNotifier",
    "BaseOperator",
    "BaseOperatorLink",
    "BaseSensorOperator",
    "BaseXCom",
    "BranchMixIn",
    "ChainMapper",
    "Connection",
    "Context",
    "CronDataIntervalTimetable",
    "CronPartitionTimetable",
    "CronTriggerTimetable",
    "DagRunState",
    "Dataset",
    "DayWindow",
    "DeadlineAlert",
    "DeadlineReference",
    "DeltaDataIntervalTimetable",
    "DeltaTriggerTimetable",
    "EdgeModifier",
    "EventsTimetable",
    "ExceptionRetryPolicy",
    "FanOutMapper",
    "FixedKeyMapper",
    "HourWindow",
    "IdentityMapper",
    "Label",
    "Metadata",
    "MinimumCount",
    "Model",
    "MonthWindow",
    "MultipleCronTriggerTimetable",
    "ObjectStoragePath",
    "Param",
    "ParamsDict",
    "PartitionMapper",
    "PartitionedAssetTimetable",
    "PartitionedAtRuntime",
    "PokeReturnValue",
    "ProductMapper",
    "QuarterWindow",
    "ResumableJobMixin",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "RetryRule",
    "RollupMapper",
    "SegmentWindow",
    "SkipMixin",
    "StartOfDayMapper",
    "StartOfHourMapper",
    "StartOfMonthMapper",
    "StartOfQuarterMapper",
    "StartOfWeekMapper",
    "StartOfYearMapper",
    "SyncCallback",
    "TaskGroup",
    "TaskInstance",
    "TaskInstanceState",
    "TriggerRule",
    "Variable",
    "WaitForAll",
    "WeekWindow",
    "WeightRule",
    "Window",
    "XComArg",
    "YearWindow",
    "__version__",
    "asset",
    "chain",
    "chain_linear",
    "conf",
    "cross_downstream",
    "dag",
    "deadline_reference",
    "get_current_context",
    "get_parsing_context",
    "literal",
    "macros",
    "poke_mode_only",
    "result",
    "setup",
    "task",
    "task_group",
    "teardown",
]


def __getattr__(name: str) -> object:
    """Imports a name on first use; Airflow names riir-airflow does not provide fail with why."""
    target = _TARGETS.get(name)
    if target is None:
        from riir_airflow.import_paths import out_of_scope_error

        raise out_of_scope_error("sdk", name)
    module = importlib.import_module(target[0])
    if hasattr(module, target[1]):
        value = getattr(module, target[1])
    else:  # a submodule (`airflow.sdk.macros`)
        value = importlib.import_module(".".join(target))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
