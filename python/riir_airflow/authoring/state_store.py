"""Constants of the task state store (`context["task_state_store"]`)."""

from __future__ import annotations

from datetime import timedelta

# `task_state_store.set(key, value, retention=NEVER_EXPIRE)`: the key never expires (Airflow: timedelta.max).
NEVER_EXPIRE: timedelta = timedelta.max
