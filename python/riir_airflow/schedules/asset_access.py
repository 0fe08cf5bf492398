"""`AssetAccessControl`: which teams may produce and consume an asset (multi-team deployments)."""

from __future__ import annotations

from dataclasses import dataclass, field


def _check_teams(name: str, teams: list[str] | None) -> None:
    for entry in teams or ():
        if not isinstance(entry, str) or not entry or entry.isspace():
            raise ValueError(f"Each entry in {name} must be a non-empty string")


@dataclass
class AssetAccessControl:
    producer_teams: list[str] = field(default_factory=list)
    consumer_teams: list[str] | None = None
    allow_global: bool = True

    def __post_init__(self) -> None:
        _check_teams("producer_teams", self.producer_teams)
        _check_teams("consumer_teams", self.consumer_teams)
        if not isinstance(self.allow_global, bool):
            raise TypeError(f"'allow_global' must be <class 'bool'> (got {self.allow_global!r})")
