"""Printing command results as Airflow's CLI does: `-o table|json|yaml|plain` (Airflow's `AirflowConsole.print_as`).

Values are normalized the way Airflow normalizes them, so that `-o json` is the same document on both sides: lists
stay lists, dicts stay dicts (except in tables), None stays null, and every other value becomes its `str()` (a
count is "16", a flag "True", a datetime "2024-01-01 00:00:00+00:00"). YAML is PyYAML's `yaml.dump` (keys sorted),
as in Airflow; a table has a header row and `=` rules; plain is whitespace-aligned columns without rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

OUTPUT_FORMATS = ("table", "json", "yaml", "plain")


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o", "--output", choices=OUTPUT_FORMATS, default="table", metavar="(table, json, yaml, plain)",
        help="Output format. Allowed values: json, yaml, plain, table (default: table)",
    )  # fmt: skip


def add_verbose_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", help="Make logging output more verbose")


def normalize(value: Any, output: str) -> Any:
    if isinstance(value, tuple | list):
        if output == "table":
            return ",".join(str(normalize(x, output)) for x in value)
        return [normalize(x, output) for x in value]
    if isinstance(value, dict) and output != "table":
        return {k: normalize(v, output) for k, v in value.items()}
    if isinstance(value, type):
        return value.__name__
    if value is None:
        return None
    return str(value)


def print_as(data: Sequence[Any], output: str, mapper: Callable[[Any], dict[str, Any]] | None = None) -> None:
    """Prints records (dicts, or anything `mapper` turns into dicts) in the chosen format."""
    rows = [mapper(d) for d in data] if mapper is not None else list(data)
    rows = [{k: normalize(v, output) for k, v in row.items()} for row in rows]
    if output == "json":
        print(json.dumps(rows))
    elif output == "yaml":
        import yaml

        sys.stdout.write(yaml.dump(rows))
    elif output == "plain":
        _print_columns(rows, rules=False)
    elif output == "table":
        _print_columns(rows, rules=True)
    else:
        raise ValueError(f"Unknown formatter: {output}. Allowed options: {list(OUTPUT_FORMATS)}")


def _print_columns(rows: list[dict[str, Any]], *, rules: bool) -> None:
    if not rows:
        print("No data found")
        return
    columns = list(rows[0])
    cells = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(max((len(x) for x in r[i].splitlines()), default=0) for r in cells)) for i, c in
              enumerate(columns)]  # fmt: skip
    gap = " | " if rules else "  "
    print(gap.join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    if rules:
        print("=+=".join("=" * w for w in widths))
    for row in cells:
        print(gap.join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def print_rows(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str]) -> None:
    """Records restricted to `columns`, in that order."""
    print_as([{c: row.get(c) for c in columns} for row in rows], fmt)
