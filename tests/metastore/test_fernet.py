"""Fernet: AES-128 against FIPS-197, tokens exchanged with `cryptography` and with Airflow's own get_fernet()."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from riir_airflow.config import AirflowConfigParser
from riir_airflow.exceptions import AirflowConfigException
from riir_airflow.metastore.fernet import (
    Fernet,
    InvalidToken,
    MultiFernet,
    NullFernet,
    aes128_encrypt_block,
    fernet_from_key,
    get_fernet,
)

sys.path.insert(0, str(Path(__file__).parents[2] / "compat-tests"))
from airflow_env import airflow_env, airflow_python


def test_aes128_fips197_vectors() -> None:
    # FIPS-197 appendix C.1 and appendix B.
    assert aes128_encrypt_block(bytes(range(16)), bytes.fromhex("00112233445566778899aabbccddeeff")).hex() == (
        "69c4e0d86a7b0430d8cdb78070b4c55a"
    )
    key = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
    assert aes128_encrypt_block(key, bytes.fromhex("3243f6a8885a308d313198a2e0370734")).hex() == (
        "3925841d02dc09fbdc118597196a0b32"
    )


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 100, 1000])
def test_round_trip_and_tampering(size: int) -> None:
    fernet = Fernet(Fernet.generate_key())
    data = bytes(range(256)) * 4
    token = fernet.encrypt(data[:size])
    assert fernet.decrypt(token) == data[:size]
    raw = bytearray(token)
    raw[-5] = ord("A") if raw[-5] != ord("A") else ord("B")
    with pytest.raises(InvalidToken):
        fernet.decrypt(bytes(raw))
    with pytest.raises(InvalidToken):
        Fernet(Fernet.generate_key()).decrypt(token)


def test_ttl_and_garbage() -> None:
    fernet = Fernet(Fernet.generate_key())
    old = fernet.encrypt_at_time(b"x", 1_000_000_000, bytes(16))
    assert fernet.decrypt(old) == b"x"
    with pytest.raises(InvalidToken):
        fernet.decrypt(old, ttl=60)
    for garbage in (b"", b"not a token!", b"gAAAAA"):
        with pytest.raises(InvalidToken):
            fernet.decrypt(garbage)


def test_key_rotation_and_null_fernet() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_token = Fernet(old_key).encrypt(b"secret")
    rotated = fernet_from_key(f"{new_key}, {old_key}")
    assert isinstance(rotated, MultiFernet) and rotated.decrypt(old_token) == b"secret"
    assert Fernet(new_key).decrypt(rotated.rotate(old_token)) == b"secret"
    null = fernet_from_key("")
    assert isinstance(null, NullFernet) and not null.is_encrypted and null.encrypt(b"a") == b"a"


def test_bad_fernet_key_names_the_option() -> None:
    conf = AirflowConfigParser(environ={"AIRFLOW_HOME": "/nonexistent", "AIRFLOW__CORE__FERNET_KEY": "short"})
    with pytest.raises(AirflowConfigException, match=r"\[core\] fernet_key is invalid"):
        get_fernet(conf)
    with pytest.raises(ValueError, match="32 url-safe base64-encoded bytes"):
        Fernet(b"!!!!")


_REFERENCE = """
import json, sys
from cryptography.fernet import Fernet
from airflow.models.crypto import get_fernet
args = json.loads(sys.argv[1])
f = Fernet(args["key"])
print(json.dumps({
    "fixed": f._encrypt_from_parts(b"hello airflow", 499162800, bytes(range(16))).decode(),
    "theirs": get_fernet().encrypt(b"made by airflow").decode(),
    "ours": f.decrypt(args["ours"].encode()).decode(),
    "is_encrypted": get_fernet().is_encrypted,
}))
"""


@pytest.mark.compat
def test_tokens_match_cryptography_and_airflow() -> None:
    key = Fernet.generate_key().decode()
    ours = Fernet(key)
    with tempfile.TemporaryDirectory() as home:
        env = airflow_env(Path(home))
        env["AIRFLOW__CORE__FERNET_KEY"] = key
        args = json.dumps({"key": key, "ours": ours.encrypt(b"made by us").decode()})
        done = subprocess.run([str(airflow_python()), "-c", _REFERENCE, args], env=env, capture_output=True,
                              text=True, timeout=300, check=True)  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ours"] == "made by us" and result["is_encrypted"] is True
    assert ours.encrypt_at_time(b"hello airflow", 499162800, bytes(range(16))).decode() == result["fixed"]
    assert ours.decrypt(result["theirs"]) == b"made by airflow"
