"""Fernet tokens (AES-128-CBC + HMAC-SHA256), byte-compatible with `cryptography.fernet`, which Airflow uses.

Written on the standard library only: the values encrypted are connection passwords/extras and variable values,
short strings read a few times per task, so a small pure-Python AES is fast enough and saves a compiled dependency.
Tokens made here decrypt with `cryptography` and back (checked against the reference Airflow's venv in
tests/metastore/test_fernet.py).

`[core] fernet_key` may hold several comma-separated keys (key rotation): the first encrypts, any decrypts.
An empty key means no encryption (values stored as they are), as in Airflow.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import time
from typing import Final


class InvalidToken(Exception):
    """The token is malformed, was made with another key, or has expired."""


# --- AES-128 (FIPS-197) ----------------------------------------------------------------------------------------------
def _xtime(a: int) -> int:
    a <<= 1
    return (a ^ 0x11B) if a & 0x100 else a


def _gmul(a: int, b: int) -> int:
    out = 0
    while b:
        if b & 1:
            out ^= a
        a = _xtime(a)
        b >>= 1
    return out


def _make_sbox() -> tuple[list[int], list[int]]:
    # Multiplicative inverses through exp/log tables of the generator 3.
    exp, log = [0] * 255, [0] * 256
    value = 1
    for power in range(255):
        exp[power], log[value] = value, power
        value = _gmul(value, 3)
    inverse = [0] + [exp[(255 - log[x]) % 255] for x in range(1, 256)]
    sbox = [0] * 256
    for x in range(256):
        b = inverse[x]
        s = b
        for shift in range(1, 5):
            s ^= ((b << shift) | (b >> (8 - shift))) & 0xFF
        sbox[x] = s ^ 0x63
    inv_sbox = [0] * 256
    for x, s in enumerate(sbox):
        inv_sbox[s] = x
    return sbox, inv_sbox


_SBOX, _INV_SBOX = _make_sbox()
_MUL: Final = {n: [_gmul(x, n) for x in range(256)] for n in (2, 3, 9, 11, 13, 14)}
_RCON: Final = (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1B, 0x36)
# State byte i is row i % 4, column i // 4; ShiftRows moves row r left by r columns.
_SHIFT: Final = [(r + 4 * ((c + r) % 4)) for c in range(4) for r in range(4)]
_INV_SHIFT: Final = [0] * 16
for _i, _j in enumerate(_SHIFT):
    _INV_SHIFT[_j] = _i


def _expand_key(key: bytes) -> list[list[int]]:
    words = [list(key[4 * i : 4 * i + 4]) for i in range(4)]
    for i in range(4, 44):
        temp = list(words[i - 1])
        if i % 4 == 0:
            temp = [_SBOX[b] for b in temp[1:] + temp[:1]]
            temp[0] ^= _RCON[i // 4 - 1]
        words.append([a ^ b for a, b in zip(words[i - 4], temp, strict=True)])
    return [[b for word in words[4 * r : 4 * r + 4] for b in word] for r in range(11)]


def _encrypt_block(round_keys: list[list[int]], block: bytes) -> bytes:
    m2, m3 = _MUL[2], _MUL[3]
    s = [b ^ k for b, k in zip(block, round_keys[0], strict=True)]
    for rnd in range(1, 11):
        s = [_SBOX[s[i]] for i in _SHIFT]
        if rnd != 10:
            mixed = []
            for c in range(0, 16, 4):
                a0, a1, a2, a3 = s[c : c + 4]
                mixed += [
                    m2[a0] ^ m3[a1] ^ a2 ^ a3,
                    a0 ^ m2[a1] ^ m3[a2] ^ a3,
                    a0 ^ a1 ^ m2[a2] ^ m3[a3],
                    m3[a0] ^ a1 ^ a2 ^ m2[a3],
                ]
            s = mixed
        s = [b ^ k for b, k in zip(s, round_keys[rnd], strict=True)]
    return bytes(s)


def _decrypt_block(round_keys: list[list[int]], block: bytes) -> bytes:
    m9, m11, m13, m14 = _MUL[9], _MUL[11], _MUL[13], _MUL[14]
    s = [b ^ k for b, k in zip(block, round_keys[10], strict=True)]
    for rnd in range(9, -1, -1):
        s = [_INV_SBOX[s[i]] for i in _INV_SHIFT]
        s = [b ^ k for b, k in zip(s, round_keys[rnd], strict=True)]
        if rnd != 0:
            mixed = []
            for c in range(0, 16, 4):
                a0, a1, a2, a3 = s[c : c + 4]
                mixed += [
                    m14[a0] ^ m11[a1] ^ m13[a2] ^ m9[a3],
                    m9[a0] ^ m14[a1] ^ m11[a2] ^ m13[a3],
                    m13[a0] ^ m9[a1] ^ m14[a2] ^ m11[a3],
                    m11[a0] ^ m13[a1] ^ m9[a2] ^ m14[a3],
                ]
            s = mixed
    return bytes(s)


def aes128_encrypt_block(key: bytes, block: bytes) -> bytes:
    """One AES-128 block (for tests against the FIPS-197 vectors)."""
    return _encrypt_block(_expand_key(key), block)


# --- Fernet ----------------------------------------------------------------------------------------------------------
_VERSION: Final = 0x80
_MAX_CLOCK_SKEW: Final = 60


class Fernet:
    """One Fernet key: `Fernet(key).encrypt(b"...")` / `.decrypt(token)`, as `cryptography.fernet.Fernet`."""

    is_encrypted = True

    def __init__(self, key: str | bytes) -> None:
        try:
            raw = base64.urlsafe_b64decode(key)
        except (binascii.Error, ValueError) as err:
            raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.") from err
        if len(raw) != 32:
            raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")
        self._signing_key = raw[:16]
        self._round_keys = _expand_key(raw[16:])

    @staticmethod
    def generate_key() -> bytes:
        return base64.urlsafe_b64encode(os.urandom(32))

    def encrypt(self, data: bytes) -> bytes:
        return self.encrypt_at_time(data, int(time.time()), os.urandom(16))

    def encrypt_at_time(self, data: bytes, current_time: int, iv: bytes) -> bytes:
        """A token for `data` made at `current_time` with the given 16-byte IV (fixed IVs only in tests)."""
        pad = 16 - len(data) % 16
        padded = data + bytes([pad]) * pad
        previous, blocks = iv, []
        for start in range(0, len(padded), 16):
            chunk = bytes(a ^ b for a, b in zip(padded[start : start + 16], previous, strict=True))
            previous = _encrypt_block(self._round_keys, chunk)
            blocks.append(previous)
        body = struct.pack(">BQ", _VERSION, current_time) + iv + b"".join(blocks)
        mac = hmac.new(self._signing_key, body, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(body + mac)

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        if isinstance(token, str):
            token = token.encode()
        try:
            data = base64.urlsafe_b64decode(token)
        except (binascii.Error, ValueError) as err:
            raise InvalidToken("not base64") from err
        if len(data) < 57 or data[0] != _VERSION or (len(data) - 57) % 16:
            raise InvalidToken("malformed token")
        body, mac = data[:-32], data[-32:]
        if not hmac.compare_digest(hmac.new(self._signing_key, body, hashlib.sha256).digest(), mac):
            raise InvalidToken("signature does not match")
        (timestamp,) = struct.unpack(">Q", data[1:9])
        now = int(time.time())
        if ttl is not None and timestamp + ttl < now:
            raise InvalidToken("token expired")
        if timestamp > now + _MAX_CLOCK_SKEW:
            raise InvalidToken("token from the future")
        previous, out = data[9:25], bytearray()
        for start in range(25, len(body), 16):
            chunk = body[start : start + 16]
            out += bytes(a ^ b for a, b in zip(_decrypt_block(self._round_keys, chunk), previous, strict=True))
            previous = chunk
        pad = out[-1]
        if not 1 <= pad <= 16 or out[-pad:] != bytes([pad]) * pad:
            raise InvalidToken("bad padding")
        return bytes(out[:-pad])


class MultiFernet:
    """Several keys: encrypts with the first, decrypts with whichever matches (Airflow's key rotation)."""

    is_encrypted = True

    def __init__(self, fernets: list[Fernet]) -> None:
        if not fernets:
            raise ValueError("MultiFernet needs at least one key")
        self._fernets = fernets

    def encrypt(self, data: bytes) -> bytes:
        return self._fernets[0].encrypt(data)

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        for fernet in self._fernets:
            try:
                return fernet.decrypt(token, ttl)
            except InvalidToken:
                continue
        raise InvalidToken("no key matches")

    def rotate(self, token: str | bytes) -> bytes:
        """Re-encrypt a token with the first key."""
        return self.encrypt(self.decrypt(token))


class NullFernet:
    """No `fernet_key`: values are stored as they are and marked unencrypted, as in Airflow."""

    is_encrypted = False

    def encrypt(self, data: bytes) -> bytes:
        return data

    def decrypt(self, token: str | bytes, ttl: int | None = None) -> bytes:
        return token.encode() if isinstance(token, str) else token


def fernet_from_key(fernet_key: str) -> MultiFernet | NullFernet:
    """The cipher for a `[core] fernet_key` value (empty -> NullFernet)."""
    keys = [part.strip() for part in fernet_key.split(",") if part.strip()]
    if not keys:
        return NullFernet()
    return MultiFernet([Fernet(key) for key in keys])


def get_fernet(config: object | None = None) -> MultiFernet | NullFernet:
    """The cipher for the configured `[core] fernet_key`; a bad key is an AirflowConfigException naming it."""
    from riir_airflow.config import AirflowConfigParser
    from riir_airflow.config import conf as default_conf
    from riir_airflow.exceptions import AirflowConfigException

    cfg = config if isinstance(config, AirflowConfigParser) else default_conf
    value = cfg.get("core", "fernet_key", fallback="") or ""
    try:
        return fernet_from_key(value)
    except ValueError as err:
        raise AirflowConfigException(f"[core] fernet_key is invalid: {err}") from err
