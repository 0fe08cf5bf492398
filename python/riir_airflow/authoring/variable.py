"""Variable: named values tasks read at run time (environment first, then the metastore)."""

from __future__ import annotations

import json
from typing import Any

from riir_airflow.authoring import secrets_backends as secrets
from riir_airflow.authoring.notset import NOTSET
from riir_airflow.secrets_masker import mask_secret


class Variable:
    """`Variable.get(key)`; a missing key raises KeyError unless a default is given, as in Airflow."""

    def __init__(self, key: str | None = None, val: Any = None, description: str | None = None) -> None:
        self.key = key
        self.val = val
        self.description = description

    @staticmethod
    def get(key: str, default: Any = NOTSET, deserialize_json: bool = False) -> Any:
        value = secrets.get_variable(key)
        if value is None:
            if default is not NOTSET:
                return default
            raise KeyError(f"Variable {key} does not exist")
        mask_secret(value, key)  # as Airflow: masked in logs when the key is a sensitive name
        return json.loads(value) if deserialize_json else value

    @staticmethod
    def set(key: str, value: Any, description: str | None = None, serialize_json: bool = False) -> None:
        stored = json.dumps(value, indent=2) if serialize_json else str(value)
        setter = getattr(secrets.store, "set_variable", None)
        if setter is None:
            raise NotImplementedError("Variables cannot be written here")
        setter(key, stored, description)

    @staticmethod
    def delete(key: str) -> None:
        deleter = getattr(secrets.store, "delete_variable", None)
        if deleter is None:
            raise NotImplementedError("Variables cannot be deleted here")
        deleter(key)
