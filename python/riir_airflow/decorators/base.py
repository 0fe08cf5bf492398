"""Airflow's `airflow.decorators.base`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.decorator_factory import TaskDecorator as TaskDecorator
from riir_airflow.authoring.decorator_factory import task_decorator_factory as task_decorator_factory
from riir_airflow.authoring.decorators import DecoratedOperator as DecoratedOperator
from riir_airflow.authoring.decorators import TaskDecoratorCollection as TaskDecoratorCollection
from riir_airflow.authoring.decorators import get_unique_task_id as get_unique_task_id
from riir_airflow.authoring.mapped import DecoratedMappedOperator as DecoratedMappedOperator
from riir_airflow.authoring.sdk_helpers import KeywordParameters as KeywordParameters
from riir_airflow.authoring.sdk_helpers import is_async_callable as is_async_callable
from riir_airflow.authoring.standard.python import determine_kwargs as determine_kwargs

__all__ = [
    "DecoratedMappedOperator",
    "DecoratedOperator",
    "KeywordParameters",
    "TaskDecorator",
    "TaskDecoratorCollection",
    "determine_kwargs",
    "get_unique_task_id",
    "is_async_callable",
    "task_decorator_factory",
]
