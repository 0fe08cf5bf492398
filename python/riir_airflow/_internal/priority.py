"""Priority weights are stored in a 32-bit signed column: values outside it are clamped."""

from __future__ import annotations

from riir_airflow._internal.baseoperator import DB_SAFE_MAXIMUM, DB_SAFE_MINIMUM


def db_safe_priority(priority_weight: int) -> int:
    return max(DB_SAFE_MINIMUM, min(DB_SAFE_MAXIMUM, priority_weight))
