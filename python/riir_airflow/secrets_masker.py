"""Airflow's secrets masking: values under sensitive names and every registered secret become `***`.

Rules (those of Airflow 3.3's `secrets_masker`):
- a name is sensitive when, lower-cased with non-word runs turned into `_`, it contains one of
  `DEFAULT_SENSITIVE_FIELDS` or of `[core] sensitive_var_conn_names` (comma list); `[core]
  hide_sensitive_var_conn_fields = False` turns name-based hiding off;
- `redact(value, name)` replaces whole values under sensitive names at any depth of dicts/lists, and masks
  registered secrets inside any other string;
- `mask_secret(value, name)` registers a value (a connection's password, a variable with a sensitive key, each
  sensitive field of a dict) so it is masked wherever it later appears in text: log lines, rendered templates;
  values shorter than `[logging] min_length_masked_secret` (5) and the word "airflow" are never registered.

One process-wide masker, as in Airflow; `SecretsMasker` is also a `logging.Filter` for log handlers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from functools import cache
from typing import Any

DEFAULT_SENSITIVE_FIELDS = frozenset(
    {
        "access_key",
        "access_token",
        "api_key",
        "apikey",
        "auth_header",
        "authorization",
        "bearer",
        "connection_string",
        "dsn",
        "passphrase",
        "passwd",
        "password",
        "private_key",
        "proxy",
        "proxy_password",
        "proxies",
        "secret",
        "service_account",
        "service_key",
        "token",
        "keyfile_dict",
        "webhook_url",
    }
)
SECRETS_TO_SKIP_MASKING = frozenset({"airflow"})
_MAX_REMEMBERED_NAMES = 4096
_NON_WORD = re.compile(r"\W+")  # compiled at import: in the fork server, once for every task process
REPLACEMENT = "***"


class SecretsMasker(logging.Filter):
    """Sensitive names plus the registered secret values; redacts structures, text and log records."""

    def __init__(
        self,
        extra_sensitive_names: Iterable[str] = (),
        *,
        hide_sensitive_fields: bool = True,
        min_length_to_mask: int = 5,
    ) -> None:
        super().__init__()
        self.sensitive_fields = DEFAULT_SENSITIVE_FIELDS | {
            n.strip().lower() for n in extra_sensitive_names if n.strip()
        }
        self.hide_sensitive_fields = hide_sensitive_fields
        self.min_length_to_mask = min_length_to_mask
        self._secrets: set[str] = set()
        self._replacer: re.Pattern[str] | None = None
        # name -> hidden? Every try asks about its template fields' names again; a bounded memo of the answers.
        self._hidden_names: dict[str, bool] = {}

    @classmethod
    def from_config(cls, config: Any) -> SecretsMasker:
        names = (config.get("core", "sensitive_var_conn_names", fallback="") or "").split(",")
        return cls(
            names,
            hide_sensitive_fields=config.getboolean("core", "hide_sensitive_var_conn_fields", fallback=True),
            min_length_to_mask=config.getint("logging", "min_length_masked_secret", fallback=5),
        )

    def should_hide_value_for_key(self, name: object) -> bool:
        """Whether a value under this name (variable key, extra field, template field) is hidden."""
        if not isinstance(name, str) or not self.hide_sensitive_fields:
            return False
        hidden = self._hidden_names.get(name)
        if hidden is None:
            normalized = _NON_WORD.sub("_", name.strip().lower())
            hidden = any(word in normalized for word in self.sensitive_fields)
            if len(self._hidden_names) >= _MAX_REMEMBERED_NAMES:
                self._hidden_names.clear()
            self._hidden_names[name] = hidden
        return hidden

    def add_mask(self, secret: Any, name: str | None = None) -> None:
        """Register `secret` (walking dicts by key and other iterables) to be masked in text from now on."""
        if isinstance(secret, dict):
            for key, value in secret.items():
                self.add_mask(value, str(key))
        elif isinstance(secret, str):
            if len(secret) < self.min_length_to_mask or secret.lower() in SECRETS_TO_SKIP_MASKING:
                return
            if name and not self.should_hide_value_for_key(name):
                return
            if secret not in self._secrets:
                self._secrets.add(secret)
                # Longest first, so a secret containing another is replaced whole.
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._replacer = re.compile("|".join(re.escape(s) for s in ordered))
        elif isinstance(secret, Iterable) and not isinstance(secret, (bytes, bytearray)):
            for value in secret:
                self.add_mask(value, name)

    def mask_text(self, text: str) -> str:
        return self._replacer.sub(REPLACEMENT, text) if self._replacer is not None else text

    def redact(self, value: Any, name: str | None = None) -> Any:
        """`value` with sensitive-named entries replaced whole and registered secrets masked inside strings."""
        if name is not None and self.should_hide_value_for_key(name):
            return self._redact_all(value)
        if isinstance(value, dict):
            return {k: self.redact(v, k if isinstance(k, str) else None) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [self.redact(v) for v in value]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, str):
            return self.mask_text(value)
        return value

    def _redact_all(self, value: Any) -> Any:
        """Every string inside `value` hidden; numbers, booleans and None kept (as Airflow)."""
        if isinstance(value, str):
            return REPLACEMENT
        if isinstance(value, dict):
            return {k: self._redact_all(v) for k, v in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._redact_all(v) for v in value]
        return value

    # logging.Filter: mask the formatted message (args included) of every record that passes.
    def filter(self, record: logging.LogRecord) -> bool:
        if self._replacer is None:
            return True
        message = record.getMessage()
        masked = self.mask_text(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now so a secret in an exception message is masked too.
            record.exc_text = self.mask_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if masked != message:
            record.msg, record.args = masked, None
        return True


@cache
def secrets_masker() -> SecretsMasker:
    """The process-wide masker, built from the configuration on first use."""
    from riir_airflow.config import conf

    return SecretsMasker.from_config(conf)


def mask_secret(secret: Any, name: str | None = None) -> None:
    """Airflow's `mask_secret`: mask this value in logs and rendered text from now on (see `add_mask`)."""
    if secret:
        secrets_masker().add_mask(secret, name)


def redact(value: Any, name: str | None = None, max_depth: int | None = None) -> Any:
    """Airflow's `redact` (`max_depth` is accepted for its signature; key-based hiding has no depth limit)."""
    return secrets_masker().redact(value, name)


def should_hide_value_for_key(name: object) -> bool:
    """Airflow's `should_hide_value_for_key`."""
    return secrets_masker().should_hide_value_for_key(name)


def merge(new_value: Any, old_value: Any, name: str | None = None, *, _sensitive: bool = False) -> Any:
    """Airflow's `merge`: a value that came back from a redacted answer, with every sensitive entry still `***` given
    its stored value again (what a PATCH of a masked connection keeps). Other values are the new ones."""
    sensitive = _sensitive or (name is not None and should_hide_value_for_key(name))
    if isinstance(new_value, dict) and isinstance(old_value, dict):
        return {
            key: merge(value, old_value[key], None if sensitive else key, _sensitive=sensitive)
            if key in old_value else value
            for key, value in new_value.items()
        }  # fmt: skip
    if isinstance(new_value, list) and isinstance(old_value, list):
        return [merge(value, old_value[i], None, _sensitive=sensitive) if i < len(old_value) else value
                for i, value in enumerate(new_value)]  # fmt: skip
    return old_value if sensitive and new_value == REPLACEMENT else new_value
