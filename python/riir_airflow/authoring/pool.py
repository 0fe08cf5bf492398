"""`Pool` as DAG code sees it (`airflow.models.Pool`): the name of the default pool and a pool's fields.

Pools live in the metastore; tasks refer to them by name (`pool="..."`). This class describes one pool.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Pool:
    DEFAULT_POOL_NAME = "default_pool"

    pool: str
    slots: int = 0
    description: str | None = None
    include_deferred: bool = False
    team_name: str | None = None
