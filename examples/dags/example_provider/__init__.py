"""A provider package written the way Airflow providers are: hooks in `hooks/`, operators in `operators/`, and
`get_provider_info()` describing them (what `apache_airflow_provider` entry points return). A real provider is a
pip-installable distribution; this one lives next to the DAGs so the example runs as it is."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "riir-example-provider",
        "name": "Example",
        "description": "A sqlite hook and an operator that uses it",
        "hooks": [{"integration-name": "Example SQLite", "python-modules": ["example_provider.hooks.sqlite"]}],
        "operators": [{"integration-name": "Example SQLite", "python-modules": ["example_provider.operators.sqlite"]}],
        "connection-types": [
            {"connection-type": "example_sqlite", "hook-class-name": "example_provider.hooks.sqlite.ExampleSqliteHook"}
        ],
    }
