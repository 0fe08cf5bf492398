"""`macros.yaml` (Airflow: `airflow.sdk.yaml`): PyYAML with libyaml's C loader/dumper when available.

PyYAML is imported on first use, so templates that never touch `macros.yaml` need no PyYAML; using it without PyYAML
installed raises ModuleNotFoundError naming the package, as in Airflow.
"""

from __future__ import annotations

from typing import Any


def safe_load(stream: Any) -> Any:
    """yaml.safe_load, with the C libyaml loader when PyYAML was built with it."""
    import yaml  # type: ignore[import-untyped,unused-ignore]

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(stream, loader)


def dump(data: Any, **kwargs: Any) -> str:
    """yaml.safe_dump, with the C libyaml dumper when available."""
    import yaml  # type: ignore[import-untyped,unused-ignore]

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return str(yaml.dump(data, Dumper=dumper, **kwargs))


def __getattr__(name: str) -> Any:
    # Everything else is PyYAML's.
    import yaml  # type: ignore[import-untyped,unused-ignore]

    return getattr(yaml, name)
