"""Values registered as secrets (`mask_secret`) are replaced by `***` wherever riir redacts: rendered template
fields of a try and the values `redact` is given, as Airflow's secrets masker does for the names it knows."""

from __future__ import annotations

import re
from typing import Any

SENSITIVE_NAMES = frozenset(
    {"access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password", "private_key",
     "secret", "token", "keyfile_dict", "service_account"}
)  # fmt: skip
MASK = "***"
_secrets: set[str] = set()


def should_hide_value_for_key(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    return any(word in lowered for word in SENSITIVE_NAMES)


def mask_secret(secret: str | dict[str, Any] | list[Any] | None, name: str | None = None) -> None:
    """Registers `secret` (every string in it, for dicts and lists) so `redact` hides it from now on."""
    if not secret:
        return
    if isinstance(secret, dict):
        for key, value in secret.items():
            mask_secret(value, key)
    elif isinstance(secret, list):
        for value in secret:
            mask_secret(value, name)
    elif isinstance(secret, str) and len(secret) > 1:
        # Airflow skips one-character secrets too: masking every "a" would make output unreadable.
        _secrets.add(secret)


def redact(value: Any, name: str | None = None, max_depth: int | None = None) -> Any:
    """`value` with sensitive-named values and registered secrets replaced by `***` (recursing into containers)."""
    if name is not None and should_hide_value_for_key(name) and value not in (None, ""):
        return MASK
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str) and _secrets:
        pattern = "|".join(re.escape(s) for s in sorted(_secrets, key=len, reverse=True))
        return re.sub(pattern, MASK, value)
    return value
