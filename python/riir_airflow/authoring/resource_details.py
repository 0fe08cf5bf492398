"""The auth-manager resource descriptions provider code imports (`airflow.api_fastapi.auth.managers.models.
resource_details`), and Airflow's ORM-only asset helper, which says why it cannot run here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any


@dataclass
class AssetDetails:
    """The details of an asset."""

    id: str | None = None


@dataclass
class AssetAliasDetails:
    """The details of an asset alias."""

    id: str | None = None


class AccessView(Enum):
    """Specific views a user tries to access."""

    CLUSTER_ACTIVITY = "CLUSTER_ACTIVITY"
    DOCS = "DOCS"
    IMPORT_ERRORS = "IMPORT_ERRORS"
    JOBS = "JOBS"
    PLUGINS = "PLUGINS"
    PROVIDERS = "PROVIDERS"
    TRIGGERS = "TRIGGERS"
    WEBSITE = "WEBSITE"


def expand_alias_to_assets(alias_name: str, *, session: Any) -> Iterable[Any]:
    """Airflow resolves an alias through its SQLAlchemy session; riir has no ORM session to pass."""
    raise NotImplementedError(
        f"expand_alias_to_assets({alias_name!r}) needs Airflow's SQLAlchemy ORM session, which riir-airflow does not "
        "have: asset aliases are resolved by riir's engine (use `outlet_events[AssetAlias(...)]` in a task)"
    )
