"""Fernet encryption of secrets at rest, through `cryptography.fernet` exactly as Airflow's `airflow.models.crypto`.

`[core] fernet_key` may hold several comma-separated keys (key rotation): the first encrypts, any decrypts, and
`MultiFernet.rotate` re-encrypts a token with the first (what `riir-airflow rotate-fernet-key` does to every stored
value). An empty key means no encryption (values stored as they are, marked unencrypted), as in Airflow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

if TYPE_CHECKING:
    from riir_airflow.config import AirflowConfigParser

__all__ = ["Cipher", "EncryptingFernet", "Fernet", "InvalidToken", "MultiFernet", "NullFernet", "fernet_from_key"]


class EncryptingFernet:
    """The configured keys (first encrypts, any decrypts): a `MultiFernet` with `is_encrypted`, as the object
    Airflow's `get_fernet()` returns."""

    is_encrypted = True

    def __init__(self, keys: list[Fernet]) -> None:
        self._multi = MultiFernet(keys)

    def encrypt(self, data: bytes) -> bytes:
        return self._multi.encrypt(data)

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        return self._multi.decrypt(token, ttl)

    def rotate(self, token: str | bytes) -> bytes:
        return self._multi.rotate(token)


class NullFernet:
    """No `fernet_key`: values are stored as they are and marked unencrypted, as Airflow's NullFernet."""

    is_encrypted = False

    def encrypt(self, data: bytes) -> bytes:
        return data

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        return token.encode() if isinstance(token, str) else token

    def rotate(self, token: str | bytes) -> bytes:
        return self.decrypt(token)


Cipher = EncryptingFernet | NullFernet


def fernet_from_key(fernet_key: str) -> Cipher:
    """The cipher for a `[core] fernet_key` value (empty -> NullFernet); ValueError for a malformed key."""
    keys = [part.strip() for part in fernet_key.split(",") if part.strip()]
    if not keys:
        return NullFernet()
    return EncryptingFernet([Fernet(key.encode()) for key in keys])


def get_fernet(config: AirflowConfigParser | None = None) -> Cipher:
    """The cipher for the configured `[core] fernet_key`; a bad key is an AirflowConfigException naming it."""
    from riir_airflow.config import conf as default_conf
    from riir_airflow.exceptions import AirflowConfigException

    cfg = config if config is not None else default_conf
    value = cfg.get("core", "fernet_key", fallback="") or ""
    try:
        return fernet_from_key(value)
    except (ValueError, TypeError) as err:
        raise AirflowConfigException(f"[core] fernet_key is invalid: {err}") from err
