"""`@asset` / `@asset.multi`: a function that materialises asset(s) becomes a one-task DAG of its own."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from riir_airflow.authoring.standard.python import PythonOperator
from riir_airflow.schedules.assets import Asset, AssetAll, BaseAsset

# Parameter names that are never read as inlet assets.
_NOT_INLETS = frozenset({"self", "context", "outlet_events"})


class _AssetMainOperator(PythonOperator):
    """The task of an `@asset` DAG; its arguments name the assets it reads."""

    def __init__(self, *, definition_name: str, uri: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._definition_name = definition_name

    @classmethod
    def from_definition(cls, definition: Any) -> _AssetMainOperator:
        function = definition._function
        params = inspect.signature(function).parameters
        return cls(
            task_id=function.__name__,
            inlets=[
                Asset.ref(name=name)
                for name, param in params.items()
                if name not in _NOT_INLETS and param.default is inspect.Parameter.empty
            ],
            outlets=list(definition.iter_outlets()),
            python_callable=function,
            definition_name=definition.name,
        )

    def determine_kwargs(self, context: Mapping[str, Any]) -> Mapping[str, Any]:
        # As Airflow, which fetches each asset by name from its API server: the full declared asset when the run
        # knows it (the context's outlet accessors resolve names), else one named like the parameter.
        lookup = getattr(context.get("outlet_events"), "asset_by_name", None)

        def fetch(name: str) -> Asset:
            found = lookup(name) if lookup is not None else None
            return found if isinstance(found, Asset) else Asset(name=name)

        values: dict[str, Any] = {}
        for key, param in inspect.signature(self.python_callable).parameters.items():
            if param.default is not inspect.Parameter.empty:
                values[key] = param.default
            elif key == "self":
                values[key] = fetch(self._definition_name)
            elif key == "context":
                values[key] = context
            elif key == "outlet_events":
                values[key] = context["outlet_events"]
            else:
                values[key] = fetch(key)
        return values


class _DagFactory:
    """DAG arguments shared by `@asset` and `@asset.multi`."""

    def __init__(
        self,
        *,
        schedule: Any,
        is_paused_upon_creation: bool | None = None,
        dag_id: str | None = None,
        dag_display_name: str | None = None,
        description: str | None = None,
        params: Any = None,
        on_success_callback: Any = None,
        on_failure_callback: Any = None,
        access_control: Any = None,
        owner_links: dict[str, str] | None = None,
        tags: Collection[str] | None = None,
    ) -> None:
        self.schedule = schedule
        self.is_paused_upon_creation = is_paused_upon_creation
        self.dag_id = dag_id
        self.dag_display_name = dag_display_name
        self.description = description
        self.params = params
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.access_control = access_control
        self.owner_links = owner_links or {}
        self.tags = set(tags or ())

    def create_dag(self, *, default_dag_id: str) -> Any:
        from riir_airflow.authoring.dag import DAG

        dag_id = self.dag_id or default_dag_id
        return DAG(
            dag_id=dag_id,
            schedule=self.schedule,
            is_paused_upon_creation=self.is_paused_upon_creation,
            catchup=False,
            dag_display_name=self.dag_display_name or dag_id,
            description=self.description,
            params=self.params,
            on_success_callback=self.on_success_callback,
            on_failure_callback=self.on_failure_callback,
            access_control=self.access_control,
            owner_links=self.owner_links,
            tags=self.tags,
            auto_register=True,
        )


def _instantiate(definition: Any) -> None:
    function = definition._function
    if getattr(function, "_airflow_is_task_decorator", False):
        if "outlets" in function.kwargs:
            raise TypeError("@task decorator with 'outlets' argument is not supported in @asset")
        function.kwargs["outlets"] = list(definition.iter_outlets())
        function()
    else:
        _AssetMainOperator.from_definition(definition)


class AssetDefinition(Asset):
    """The asset an `@asset` function materialises (usable wherever an Asset is)."""

    def __init__(self, *, function: Callable[..., Any], source: asset, **asset_kwargs: Any) -> None:
        super().__init__(**asset_kwargs)
        self._function = function
        self._source = source
        with source.create_dag(default_dag_id=self.name):
            _instantiate(self)

    def iter_outlets(self) -> Iterator[BaseAsset]:
        yield self


class MultiAssetDefinition(AssetAll):
    """What `@asset.multi` returns: all of its outlets."""

    def __init__(self, *, function: Callable[..., Any], source: Any, name: str) -> None:
        super().__init__(*source.outlets)
        self.name = name
        self._function = function
        self._source = source
        with source.create_dag(default_dag_id=function.__name__):
            _instantiate(self)

    def iter_outlets(self) -> Iterator[BaseAsset]:
        yield from self.objects


class asset(_DagFactory):
    """`@asset(schedule=...)`: the decorated function materialises an asset named after it."""

    def __init__(
        self,
        *,
        name: str | None = None,
        uri: str | None = None,
        group: str = Asset.asset_type,
        extra: dict[str, Any] | None = None,
        watchers: list[Any] | None = None,
        **dag_kwargs: Any,
    ) -> None:
        super().__init__(**dag_kwargs)
        self.name = name
        self.uri = uri
        self.group = group
        self.extra = extra or {}
        self.watchers = watchers or []

    class multi(_DagFactory):
        """`@asset.multi(outlets=[...], schedule=...)`: one task that emits several assets."""

        def __init__(self, *, outlets: Collection[BaseAsset], **dag_kwargs: Any) -> None:
            super().__init__(**dag_kwargs)
            self.outlets = list(outlets)

        def __call__(self, f: Callable[..., Any]) -> MultiAssetDefinition:
            if f.__name__ != f.__qualname__:
                raise ValueError("nested function not supported")
            if not self.outlets:
                raise ValueError("no outlets provided")
            return MultiAssetDefinition(function=f, source=self, name=f.__name__)

    def __call__(self, f: Callable[..., Any]) -> AssetDefinition:
        if f.__name__ != f.__qualname__:
            raise ValueError("nested function not supported")
        name = self.name or f.__name__
        return AssetDefinition(
            name=name,
            uri=name if self.uri is None else str(self.uri),
            group=self.group,
            extra=self.extra,
            watchers=self.watchers,
            function=f,
            source=self,
        )
