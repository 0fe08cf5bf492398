"""Reading the files `variables import` and `connections import` take: `.json`, `.yaml`/`.yml` or `.env`, as
Airflow's local-filesystem secrets backend reads them. Errors name the file (and line, for `.env`)."""

from __future__ import annotations

import json
import os
from typing import Any


def load_key_values(path: str, what: str) -> dict[str, Any]:
    """{key: value} from a JSON or YAML object, or the KEY=VALUE lines of a .env file."""
    if not os.path.exists(path):
        raise SystemExit(f"Missing {what} file.")
    extension = os.path.splitext(path)[1].lower()
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if extension == ".env":
        return _parse_env(path, text)
    if extension in (".yaml", ".yml"):
        import yaml

        try:
            content = yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise SystemExit(f"{path}: invalid YAML: {err}") from None
    elif extension == ".json":
        try:
            content = json.loads(text)
        except ValueError as err:
            raise SystemExit(f"{path}: invalid JSON: {err}") from None
    else:
        raise SystemExit(f"Unsupported file format. The file must have one of the following extensions: "
                         f".env .json .yaml .yml (got {path})")  # fmt: skip
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise SystemExit(f"{path}: the file must contain an object of key -> value, not {type(content).__name__}")
    return content


def _parse_env(path: str, text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SystemExit(f'{path}:{number}: invalid line (expected KEY=VALUE): "{raw}"')
        if key in found:
            raise SystemExit(f'{path}:{number}: the key "{key}" is defined more than once')
        found[key] = value.strip()
    return found
