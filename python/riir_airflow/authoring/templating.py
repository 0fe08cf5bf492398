"""Jinja templating of operator fields, with Airflow's environment (sandboxed, StrictUndefined, its filters).

Jinja itself (`template_environment.py`) is imported when a field has something to render: a try whose fields are
all empty, and every DAG file that only defines tasks, never loads it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

log = logging.getLogger("airflow.task")


class LiteralValue:
    """`literal(value)`: a value that is never rendered."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def iter_references(self) -> Iterable[tuple[Any, str]]:
        return ()

    def resolve(self, context: Any) -> Any:
        return self.value


def literal(value: Any) -> LiteralValue:
    return LiteralValue(value)


def template_env_for(dag: Any, native_override: bool | None = None) -> jinja2.Environment:
    """The Jinja environment of a DAG (its folder and template_searchpath, macros and filters), made once per DAG."""
    native = bool(
        native_override if native_override is not None else getattr(dag, "render_template_as_native_obj", False)
    )
    cache = dag.__dict__.setdefault("_template_envs", {}) if dag is not None else {}
    env = cache.get(native)
    if env is None:
        env = cache[native] = _new_template_env(dag, native_override)
    return env


def _new_template_env(dag: Any, native_override: bool | None) -> jinja2.Environment:
    import jinja2

    from riir_airflow.authoring.template_environment import NativeEnvironment, SandboxedEnvironment

    searchpath: list[str] = []
    native = False
    options: dict[str, Any] = {"undefined": jinja2.StrictUndefined, "extensions": ["jinja2.ext.do"], "cache_size": 0}
    if dag is not None:
        searchpath = [dag.folder, *(dag.template_searchpath or [])]
        options["undefined"] = dag.template_undefined
        native = dag.render_template_as_native_obj
        if dag.jinja_environment_kwargs:
            options.update(dag.jinja_environment_kwargs)
    if native_override is not None:
        native = native_override
    options.setdefault("loader", jinja2.FileSystemLoader(searchpath or [os.getcwd()]))
    env: jinja2.Environment = NativeEnvironment(**options) if native else SandboxedEnvironment(**options)
    if dag is not None:
        if dag.user_defined_macros:
            env.globals.update(dag.user_defined_macros)
        if dag.user_defined_filters:
            env.filters.update(dag.user_defined_filters)
    return env


def render_value(
    value: Any,
    context: Any,
    env: jinja2.Environment,
    seen_oids: set[int] | None = None,
    template_ext: Iterable[str] = (),
) -> Any:
    """Renders strings (and strings inside lists, tuples, dicts, sets and nested templated objects)."""
    oids = seen_oids if seen_oids is not None else set()
    if id(value) in oids:
        return value
    if isinstance(value, str):
        template = (
            env.get_template(value) if value.endswith(tuple(template_ext)) and template_ext else env.from_string(value)
        )
        # A NativeEnvironment's templates render to Python objects, a sandboxed one's to strings.
        return template.render(**context)
    if (
        not isinstance(value, os.PathLike)
        and callable(getattr(value, "resolve", None))
        and hasattr(value, "iter_references")
    ):
        return value.resolve(context)
    if value.__class__ is tuple:
        return tuple(render_value(v, context, env, oids, template_ext) for v in value)
    if isinstance(value, tuple):
        return value.__class__(*(render_value(v, context, env, oids, template_ext) for v in value))
    if isinstance(value, list):
        return [render_value(v, context, env, oids, template_ext) for v in value]
    if isinstance(value, dict):
        return {k: render_value(v, context, env, oids, template_ext) for k, v in value.items()}
    if isinstance(value, set):
        return {render_value(v, context, env, oids, template_ext) for v in value}
    _render_nested(value, context, env, oids)
    return value


def _render_nested(value: Any, context: Any, env: jinja2.Environment, oids: set[int]) -> None:
    if id(value) in oids:
        return
    oids.add(id(value))
    fields = getattr(value, "template_fields", None)
    if fields is None:
        return
    _render_fields(value, fields, context, env, oids, getattr(value, "template_ext", ()))


def _render_fields(
    parent: Any,
    fields: Iterable[str],
    context: Any,
    env: jinja2.Environment,
    oids: set[int],
    template_ext: Iterable[str],
) -> None:
    for name in fields:
        try:
            value = getattr(parent, name)
        except AttributeError:
            raise AttributeError(
                f"{name!r} is configured as a template field but {type(parent).__name__} does not have this attribute."
            ) from None
        try:
            if not value:
                continue
        except Exception:
            pass
        try:
            rendered = (
                value(context=context, jinja_env=env)
                if callable(value) and not hasattr(value, "iter_references")
                else render_value(value, context, env, oids, template_ext)
            )
        except Exception:
            label = getattr(parent, "task_id", type(parent).__name__)
            log.exception(
                "Exception rendering Jinja template for task '%s', field '%s'. Template: %r", label, name, value
            )
            raise
        setattr(parent, name, rendered)


def render_template_fields(task: Any, context: Any, env: jinja2.Environment | None = None) -> None:
    """Renders every template field of a task in place."""
    if env is None and not any(_may_render(task, name) for name in task.template_fields):
        return  # every field is empty: the same outcome, without making a Jinja environment
    env = env or task.get_template_env()
    _render_fields(task, task.template_fields, context, env, set(), task.template_ext)


def _may_render(parent: Any, name: str) -> bool:
    """False only for a field `_render_fields` would skip (present and falsy)."""
    try:
        return bool(getattr(parent, name))
    except Exception:  # missing (rendering names it), or a value without a truth value (rendering tries it)
        return True


def resolve_template_files(task: Any) -> None:
    """At load time, template fields naming a template file (by extension) are replaced by the file's text."""
    if not task.template_ext or getattr(task, "is_mapped", False):
        return
    env = None
    for name in task.template_fields:
        content = getattr(task, name, None)
        if isinstance(content, str) and content.endswith(tuple(task.template_ext)):
            env = env or task.get_template_env()
            try:
                setattr(task, name, env.loader.get_source(env, content)[0])
            except Exception:
                log.exception("Failed to resolve template field %r", name)
        elif isinstance(content, list):
            for i, item in enumerate(content):
                if isinstance(item, str) and item.endswith(tuple(task.template_ext)):
                    env = env or task.get_template_env()
                    try:
                        content[i] = env.loader.get_source(env, item)[0]
                    except Exception:
                        log.exception("Failed to get source %s", item)
