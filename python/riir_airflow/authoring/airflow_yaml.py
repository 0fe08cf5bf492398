"""Airflow's `airflow.utils.yaml`: PyYAML with the C loader when available. PyYAML is not a riir-airflow
dependency; `riir-airflow providers install` brings it for the providers that use this module."""

from __future__ import annotations

from typing import Any, BinaryIO, TextIO


def safe_load(stream: bytes | str | BinaryIO | TextIO) -> Any:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    return yaml.load(stream, getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def full_load(stream: bytes | str | BinaryIO | TextIO) -> Any:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    return yaml.load(stream, getattr(yaml, "CFullLoader", yaml.FullLoader))


def dump(data: Any, **kwargs: Any) -> Any:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **kwargs)
