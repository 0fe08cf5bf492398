"""Broker tokens are Airflow api-server tokens: same algorithm, header and claims; each verifies the other's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from riir_airflow.broker.auth import AuthError, AuthManager, Role, User
from riir_airflow.config import AirflowConfigParser

sys.path.insert(0, str(Path(__file__).parents[2] / "compat-tests"))
from airflow_env import airflow_env, airflow_python

SECRET = "shared-jwt-secret-" + "k" * 48

# In Airflow's venv: its SimpleAuthManager signs a token for alice (op) and validates ours, as its api-server does.
_REFERENCE = """
import json, sys
from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager
from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
import jwt
manager = SimpleAuthManager()
theirs = manager.generate_jwt(SimpleAuthManagerUser(username="alice", role="op"))
claims = manager._get_token_validator().validated_claims(sys.argv[1])
user = manager.deserialize_user(claims)
try:
    manager._get_token_validator().validated_claims(sys.argv[2])
    forged = "accepted"
except jwt.InvalidTokenError as err:
    forged = type(err).__name__
print(json.dumps({"theirs": theirs, "header": jwt.get_unverified_header(theirs),
                  "ours_user": [user.username, user.role], "forged": forged}))
"""


def _manager(tmp_path: Path) -> AuthManager:
    return AuthManager(
        AirflowConfigParser(environ={"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__API_AUTH__JWT_SECRET": SECRET})
    )


@pytest.mark.compat
def test_tokens_interoperate_with_airflow_api_server(tmp_path: Path) -> None:
    auth = _manager(tmp_path)
    ours = auth.issue(User("bob", Role.USER))
    forged = jwt.encode({"sub": "eve", "role": "admin", "exp": 2**31, "iat": 0, "nbf": 0, "aud": "apache-airflow"},
                        "not-the-secret-" + "x" * 64, algorithm="HS512")  # fmt: skip
    env = airflow_env(tmp_path / "airflow")
    env["AIRFLOW__API_AUTH__JWT_SECRET"] = SECRET
    done = subprocess.run([str(airflow_python()), "-c", _REFERENCE, ours, forged], env=env, capture_output=True,
                          text=True, timeout=300, check=True)  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["ours_user"] == ["bob", "user"] and result["forged"] == "InvalidSignatureError"
    theirs = result["theirs"]
    # Same header and claim names as Airflow's token.
    assert jwt.get_unverified_header(ours) == result["header"] == {"alg": "HS512", "kid": "not-used", "typ": "JWT"}
    our_claims = jwt.decode(ours, options={"verify_signature": False})
    their_claims = jwt.decode(theirs, options={"verify_signature": False})
    assert sorted(our_claims) == sorted(their_claims)
    assert their_claims["aud"] == our_claims["aud"] == "apache-airflow"
    assert auth.verify(theirs) == User("alice", Role.OP)
    with pytest.raises(AuthError) as refused:
        auth.verify(forged)
    assert refused.value.status == 403


def test_token_without_required_claims_or_with_alg_none_is_refused(tmp_path: Path) -> None:
    auth = _manager(tmp_path)
    no_exp = jwt.encode({"sub": "a", "role": "admin", "iat": 0, "nbf": 0, "aud": "apache-airflow"}, SECRET, "HS512")
    unsigned = jwt.encode({"sub": "a", "role": "admin", "exp": 2**31, "iat": 0, "nbf": 0, "aud": "apache-airflow"},
                          None, algorithm="none")  # fmt: skip
    wrong_audience = jwt.encode({"sub": "a", "role": "admin", "exp": 2**31, "iat": 0, "nbf": 0, "aud": "other"},
                                SECRET, "HS512")  # fmt: skip
    for token in (no_exp, unsigned, wrong_audience):
        with pytest.raises(AuthError) as refused:
            auth.verify(token)
        assert (refused.value.status, refused.value.detail) == (403, "Invalid JWT token")
