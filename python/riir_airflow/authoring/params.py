"""Params: values a DAG run can be given, each with an optional JSON schema that validates it."""

from __future__ import annotations

import copy
import json
from collections.abc import ItemsView, Iterable, Iterator, Mapping, MutableMapping, ValuesView
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from riir_airflow.authoring import json_schema
from riir_airflow.authoring.notset import NOTSET, is_arg_set
from riir_airflow.exceptions import ParamValidationError

if TYPE_CHECKING:
    from riir_airflow.authoring.dag import DAG


class Param:
    """A default value plus the schema every value must match (all kwargs besides default/description)."""

    __version__: ClassVar[int] = 1
    CLASS_IDENTIFIER = "__class"

    def __init__(
        self,
        default: Any = NOTSET,
        description: str | None = None,
        source: Literal["dag", "task"] | None = None,
        **kwargs: Any,
    ) -> None:
        if default is not NOTSET:
            self._check_json(default)
        self.value = default
        self.description = description
        self.schema: dict[str, Any] = kwargs.pop("schema") if "schema" in kwargs else kwargs
        self.source = source

    def __copy__(self) -> Param:
        return Param(self.value, self.description, schema=self.schema, source=self.source)

    def __repr__(self) -> str:
        return f"Param({self.value!r}, description={self.description!r}, schema={self.schema!r})"

    @staticmethod
    def _check_json(value: Any) -> None:
        try:
            json.dumps(value)
        except Exception:
            raise ParamValidationError(
                f"All provided parameters must be json-serializable. The value '{value}' is not serializable."
            ) from None

    def resolve(self, value: Any = NOTSET, suppress_exception: bool = False) -> Any:
        """Validates `value` (or the default) against the schema and returns it."""
        if value is not NOTSET:
            self._check_json(value)
        final = self.value if value is NOTSET else value
        if not is_arg_set(final):
            if suppress_exception:
                return None
            raise ParamValidationError("No value passed and Param has no default value")
        try:
            json_schema.validate(final, self.schema)
        except json_schema.SchemaError as err:
            if suppress_exception:
                return None
            raise ParamValidationError(str(err)) from None
        self.value = final
        return final

    @property
    def has_value(self) -> bool:
        return self.value is not NOTSET and self.value is not None

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {self.CLASS_IDENTIFIER: f"{self.__module__}.{self.__class__.__name__}"}
        out.update(self.__dict__)
        if self.value is NOTSET:
            out["value"] = None
        return out

    def serialize(self) -> dict[str, Any]:
        value = None if self.value is NOTSET else self.value
        return {"value": value, "description": self.description, "schema": self.schema, "source": self.source}

    @staticmethod
    def deserialize(data: dict[str, Any], version: int = 1) -> Param:
        return Param(data["value"], data.get("description"), schema=data.get("schema", {}), source=data.get("source"))


class ParamsDict(MutableMapping[str, Any]):
    """A mapping of name -> Param; reading a key gives the validated value, setting one validates it."""

    __version__: ClassVar[int] = 1

    def __init__(self, dict_obj: Mapping[str, Any] | None = None, suppress_exception: bool = False) -> None:
        self._params: dict[str, Param] = {
            k: v if isinstance(v, Param) else Param(v) for k, v in (dict_obj or {}).items()
        }
        self.suppress_exception = suppress_exception

    def __bool__(self) -> bool:
        return bool(self._params)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ParamsDict):
            return self.dump() == other.dump()
        if isinstance(other, dict):
            return self.dump() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> ParamsDict:
        return ParamsDict(self._params, self.suppress_exception)

    def __deepcopy__(self, memo: dict[int, Any] | None) -> ParamsDict:
        return ParamsDict(copy.deepcopy(self._params, memo), self.suppress_exception)

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def __len__(self) -> int:
        return len(self._params)

    def __delitem__(self, key: str) -> None:
        del self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __repr__(self) -> str:
        return repr(self.dump())

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, Param):
            param = value
        elif key in self._params:
            param = self._params[key]
            try:
                param.resolve(value=value, suppress_exception=self.suppress_exception)
            except ParamValidationError as err:
                raise ParamValidationError(f"Invalid input for param {key}: {err}") from None
        else:
            param = Param(value)
        self._params[key] = param

    def __getitem__(self, key: str) -> Any:
        return self._params[key].resolve(suppress_exception=self.suppress_exception)

    def get_param(self, key: str) -> Param:
        return self._params[key]

    def items(self) -> ItemsView[str, Any]:
        return ItemsView(self._params)

    def values(self) -> ValuesView[Any]:
        return ValuesView(self._params)

    def update(self, *args: Any, **kwargs: Any) -> None:
        if len(args) == 1 and not kwargs and isinstance(args[0], ParamsDict):
            for key, param in args[0]._params.items():
                self[key] = param
            return
        super().update(*args, **kwargs)

    def dump(self) -> dict[str, Any]:
        return {k: v.resolve(suppress_exception=True) for k, v in self._params.items()}

    def validate(self) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for key, param in self._params.items():
            try:
                resolved[key] = param.resolve(suppress_exception=self.suppress_exception)
            except ParamValidationError as err:
                raise ParamValidationError(f"Invalid input for param {key}: {err}") from None
        return resolved

    def serialize(self) -> dict[str, Any]:
        return self.dump()

    def fill_missing_source(self, source: Literal["dag", "task"] | None) -> None:
        for param in self._params.values():
            if param.source is None:
                param.source = source

    @staticmethod
    def filter_params_by_source(params: ParamsDict, source: Literal["dag", "task"]) -> ParamsDict:
        return ParamsDict({k: p for k, p in params._params.items() if p.source == source})


class DagParam:
    """A reference to a DAG param, resolved from the run's params when the task runs (`dag.param("x")`)."""

    def __init__(self, current_dag: DAG, name: str, default: Any = NOTSET) -> None:
        if default is not NOTSET:
            current_dag.params[name] = default
        self._name = name
        self._default = default
        self.current_dag = current_dag

    def iter_references(self) -> Iterable[tuple[Any, str]]:
        return ()

    def __deepcopy__(self, memo: dict[int, Any]) -> DagParam:
        return self

    def resolve(self, context: Mapping[str, Any]) -> Any:
        params = context.get("params", {})
        if self._name in params:
            return params[self._name]
        if self._default is not NOTSET:
            return self._default
        raise RuntimeError(f"No value could be resolved for parameter {self._name}")
