"""Airflow's `airflow.sdk`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

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
