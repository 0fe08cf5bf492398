"""The remembered FastAPI helpers answer as the originals for every parameter of every broker route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.dependencies import utils
from fastapi.dependencies.models import Dependant

from riir_airflow.broker import param_memo
from riir_airflow.broker.app import create_app
from riir_airflow.config import AirflowConfigParser


def _dependants(node: Any) -> Iterator[Dependant]:
    dependant = getattr(node, "dependant", None)
    if dependant is not None:
        stack = [dependant]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(current.dependencies)
    for child in getattr(node, "routes", ()):
        yield from _dependants(child)
    included = getattr(node, "original_router", None)  # FastAPI 0.16x: an included router's own routes
    if included is not None:
        yield from _dependants(included)


def test_remembered_answers_are_the_helpers_answers() -> None:
    app = create_app(AirflowConfigParser(environ={}), dsn="postgresql://nobody@127.0.0.1/none")  # installs the memo
    original = param_memo.ORIGINALS
    assert set(original) == {
        "_get_param_model",
        "_is_json_field",
        "field_annotation_is_sequence",
        "_get_param_aliases",
        "_get_cache_key",
        "_is_gen_callable",
        "_is_async_gen_callable",
        "_is_coroutine_callable",
    }
    dependants = list(_dependants(app.router))
    for dependant in dependants * 2:
        key = utils._get_cache_key(dependant=dependant, uses_scopes_cache={})
        assert key == original["_get_cache_key"](dependant=dependant, uses_scopes_cache={})
    for dependant in dependants * 2:
        for name in ("_is_gen_callable", "_is_async_gen_callable", "_is_coroutine_callable"):
            assert getattr(utils, name)(dependant.call) == original[name](dependant.call), (name, dependant.call)
    fields = [field for d in dependants for field in d.query_params + d.path_params]
    assert len(fields) > 300
    for field in fields * 2:  # the second round answers from memory
        assert utils._get_param_model(field) is original["_get_param_model"](field)
        assert utils._is_json_field(field) == original["_is_json_field"](field)
        annotation = field.field_info.annotation
        assert utils.field_annotation_is_sequence(annotation) == original["field_annotation_is_sequence"](annotation)
        aliases = utils._get_param_aliases(field)
        assert aliases == original["_get_param_aliases"](field)
        aliases.append(("changed", "changed"))  # a caller's change to its list is not remembered
        assert utils._get_param_aliases(field) == original["_get_param_aliases"](field)


def test_calls_of_another_shape_go_to_the_original() -> None:
    """A FastAPI whose helper takes more arguments still gets the helper's own answer, never a remembered one."""
    calls: list[tuple[Any, ...]] = []

    def helper(value: Any, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
        calls.append((value, args, kwargs))
        return [(str(value), str(len(calls)))]

    remembered = param_memo._per_identity(helper)
    aliases = param_memo._aliases_per_identity(helper)
    field = object()
    assert remembered(field) == remembered(field) and len(calls) == 1
    assert remembered(field, "extra") == [(str(field), "2")]
    assert remembered(field, flag=True) == [(str(field), "3")]
    assert aliases(field, convert_underscores=True) == aliases(field, convert_underscores=True)
    assert len(calls) == 4
    assert aliases(field, convert_underscores=True, by_alias=False) == [(str(field), "5")]
    assert aliases(field, True) == [(str(field), "6")]


def test_cache_key_follows_the_dependants_callable() -> None:
    """A dependant whose callable is replaced gets the new callable's key; other call shapes reach the original."""
    calls: list[Any] = []

    def helper(**kwargs: Any) -> tuple[Any, ...]:
        calls.append(kwargs)
        return (kwargs["dependant"].call, len(calls))

    key = param_memo._cache_key_per_dependant(helper)
    dependant = Dependant(call=len)
    assert key(dependant=dependant, uses_scopes_cache={}) == key(dependant=dependant) == (len, 1)
    dependant.call = abs
    assert key(dependant=dependant) == (abs, 2)
    assert key(dependant=dependant, other=1) == (abs, 3)
    assert len(calls) == 3
