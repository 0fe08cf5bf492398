"""Printing command results as a table, JSON or plain text (Airflow's `-o table|json|plain`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def print_rows(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str]) -> None:
    if fmt == "json":
        print(json.dumps(list(rows), indent=2, default=str))
        return
    if fmt == "plain":
        for row in rows:
            print("\t".join(str(row.get(c, "")) for c in columns))
        return
    if not rows:
        print("No data found")
        return
    cells: list[list[str]] = [[str(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i].splitlines()[0]) if r[i] else 0 for r in cells)) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("=+=".join("=" * w for w in widths))
    for cell_row in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(cell_row, widths, strict=True)))
