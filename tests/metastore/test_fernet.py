"""Fernet through `cryptography`: values and key rotation exchanged with real Airflow 3.3.2's get_fernet()."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from riir_airflow.config import AirflowConfigParser
from riir_airflow.exceptions import AirflowConfigException
from riir_airflow.metastore.fernet import EncryptingFernet, InvalidToken, NullFernet, fernet_from_key, get_fernet

sys.path.insert(0, str(Path(__file__).parents[2] / "compat-tests"))
from airflow_env import airflow_env, airflow_python


def test_round_trip_tampering_and_wrong_key() -> None:
    cipher = fernet_from_key(Fernet.generate_key().decode())
    assert isinstance(cipher, EncryptingFernet) and cipher.is_encrypted
    token = cipher.encrypt(b"t0ps3cret")
    assert b"t0ps3cret" not in token and cipher.decrypt(token) == b"t0ps3cret"
    raw = bytearray(token)
    raw[-5] = ord("A") if raw[-5] != ord("A") else ord("B")
    with pytest.raises(InvalidToken):
        cipher.decrypt(bytes(raw))
    with pytest.raises(InvalidToken):
        fernet_from_key(Fernet.generate_key().decode()).decrypt(token)


def test_key_rotation_and_null_fernet() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_token = Fernet(old_key).encrypt(b"secret")
    rotated = fernet_from_key(f"{new_key}, {old_key}")
    assert rotated.decrypt(old_token) == b"secret"
    assert Fernet(new_key).decrypt(rotated.rotate(old_token)) == b"secret"
    null = fernet_from_key("")
    assert isinstance(null, NullFernet) and not null.is_encrypted and null.encrypt(b"a") == b"a"


def test_bad_fernet_key_names_the_option() -> None:
    conf = AirflowConfigParser(environ={"AIRFLOW_HOME": "/nonexistent", "AIRFLOW__CORE__FERNET_KEY": "short"})
    with pytest.raises(AirflowConfigException, match=r"\[core\] fernet_key is invalid"):
        get_fernet(conf)


# Runs in Airflow's venv: Airflow's own get_fernet() (MultiFernet over `[core] fernet_key`) on our tokens and back.
_REFERENCE = """
import json, sys
from airflow.models.crypto import get_fernet
args = json.loads(sys.argv[1])
f = get_fernet()
print(json.dumps({
    "theirs": f.encrypt(b"made by airflow").decode(),
    "ours": f.decrypt(args["ours"].encode()).decode(),
    "rotated": f.rotate(args["old"].encode()).decode() if args["old"] else None,
    "is_encrypted": f.is_encrypted,
}))
"""


def _airflow(fernet_key: str, ours: str, old: str | None = None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as home:
        env = airflow_env(Path(home))
        env["AIRFLOW__CORE__FERNET_KEY"] = fernet_key
        args = json.dumps({"ours": ours, "old": old})
        done = subprocess.run([str(airflow_python()), "-c", _REFERENCE, args], env=env, capture_output=True,
                              text=True, timeout=300, check=True)  # fmt: skip
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.compat
@pytest.mark.timeout(900)  # three runs of Airflow's interpreter (each up to 300 s when the machine is loaded)
def test_values_interoperate_with_airflow_including_rotation() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    ours = fernet_from_key(old_key)
    result = _airflow(old_key, ours.encrypt(b"made by us").decode())
    assert result["ours"] == "made by us" and result["is_encrypted"] is True
    assert ours.decrypt(str(result["theirs"])) == b"made by airflow"
    # Rotation across the two: Airflow (new,old) re-encrypts our old token; we read it with the new key alone,
    # and a token we rotate with (new,old) reads in Airflow configured with the new key only.
    both = f"{new_key},{old_key}"
    old_token = ours.encrypt(b"rotate me").decode()
    theirs = _airflow(both, fernet_from_key(both).encrypt(b"x").decode(), old=old_token)
    assert fernet_from_key(new_key).decrypt(str(theirs["rotated"])) == b"rotate me"
    rotated_by_us = fernet_from_key(both).rotate(old_token.encode()).decode()
    assert _airflow(new_key, rotated_by_us)["ours"] == "rotate me"
