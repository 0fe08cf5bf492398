"""Fernet encryption of secrets at rest, through `cryptography.fernet` exactly as Airflow's `airflow.models.crypto`.

`[core] fernet_key` may hold several comma-separated keys (key rotation): the first encrypts, any decrypts, and
`rotate` re-encrypts a token with the first (what `riir-airflow rotate-fernet-key` does to every stored value).
An empty key means no encryption (values stored as they are, marked unencrypted), as in Airflow.

`cryptography` is imported when a key is first used, not with this module: a DAG app that never decrypts anything
does not pay for loading it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riir_airflow.config import AirflowConfigParser

__all__ = ["Cipher", "EncryptingFernet", "InvalidToken", "NullFernet", "fernet_from_key", "generate_key"]


class InvalidToken(Exception):
    """The token is malformed or was made with none of the configured keys (cryptography's InvalidToken)."""


def generate_key() -> str:
    """A new key in the format `[core] fernet_key` takes (Fernet.generate_key)."""
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


class EncryptingFernet:
    """The configured keys (first encrypts, any decrypts): a `MultiFernet` with `is_encrypted`, as the object
    Airflow's `get_fernet()` returns."""

    is_encrypted = True

    def __init__(self, keys: list[str]) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        self._multi: Any = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, data: bytes) -> bytes:
        token: bytes = self._multi.encrypt(data)
        return token

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        from cryptography import fernet

        try:
            data: bytes = self._multi.decrypt(token, ttl)
        except fernet.InvalidToken:
            raise InvalidToken("no configured key matches the token") from None
        return data

    def rotate(self, token: str | bytes) -> bytes:
        from cryptography import fernet

        try:
            rotated: bytes = self._multi.rotate(token)
        except fernet.InvalidToken:
            raise InvalidToken("no configured key matches the token") from None
        return rotated


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
    return EncryptingFernet(keys)


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
