"""Shared helpers imported by corpus files from their own folder (the folder must be on sys.path).

This module deliberately avoids the two words the loader's safe-mode heuristic looks for, so it is not treated as a
pipeline file itself.
"""

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator

TEAM_DEFAULTS = {"owner": "platform", "retries": 2}


def fan_out(prefix: str, width: int) -> list:
    """Create `width` echo tasks named prefix_0 .. prefix_{width-1}."""
    return [BashOperator(task_id=f"{prefix}_{i}", bash_command=f"echo {i}") for i in range(width)]


def bracket(work: list, name: str) -> tuple:
    """Surround a list of tasks with an opening and a closing marker task."""
    opening = EmptyOperator(task_id=f"{name}_open")
    closing = EmptyOperator(task_id=f"{name}_close", trigger_rule="all_done")
    opening >> work >> closing
    return opening, closing
