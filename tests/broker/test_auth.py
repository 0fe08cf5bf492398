"""Auth like Airflow's simple auth manager: tokens, 401 / 403, and what each role may do."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from riir_airflow.broker.auth import AuthError, AuthManager, Role, User, parse_users
from riir_airflow.config import AirflowConfigParser
from tests.broker.conftest import PASSWORD, Broker
from tests.broker.seed import DAG_ID

pytestmark = pytest.mark.postgres


def test_token_endpoint(broker: Broker) -> None:
    ok = httpx.post(f"{broker.url}/auth/token", json={"username": "viewer", "password": PASSWORD.format("viewer")})
    assert ok.status_code == 201 and ok.json()["access_token"].count(".") == 2
    form = httpx.post(f"{broker.url}/auth/token", data={"username": "op", "password": PASSWORD.format("op")})
    assert form.status_code == 201
    bad = httpx.post(f"{broker.url}/auth/token", json={"username": "viewer", "password": "wrong"})
    assert (bad.status_code, bad.json()) == (401, {"detail": "Invalid credentials"})
    empty = httpx.post(f"{broker.url}/auth/token", json={})
    assert (empty.status_code, empty.json()) == (400, {"detail": "Username and password must be provided"})
    assert httpx.get(f"{broker.url}/auth/token").status_code == 403  # all-admins mode is off by default


def test_no_token_is_401_and_bad_token_403(broker: Broker) -> None:
    with broker.client(None) as client:
        response = client.get("/api/v2/dags")
        assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
        forged = client.get("/api/v2/dags", headers={"Authorization": "Bearer abc.def.ghi"})
        assert (forged.status_code, forged.json()) == (403, {"detail": "Invalid JWT token"})
        # Health and version need no token, as in Airflow.
        assert client.get("/api/v2/monitor/health").status_code == 200
        assert client.get("/api/v2/version").status_code == 200


TRIGGER = ("POST", f"/api/v2/dags/{DAG_ID}/dagRuns", {"logical_date": None})
# (method, path, body) -> lowest role allowed
CASES = [
    (("GET", "/api/v2/dags", None), "viewer"),
    (("GET", f"/api/v2/dags/{DAG_ID}/dagRuns", None), "viewer"),
    (("GET", "/api/v2/pools", None), "viewer"),
    (("POST", "/api/v2/dags/~/dagRuns/list", {}), "viewer"),
    (TRIGGER, "user"),
    (("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": True}), "user"),
    (("GET", "/api/v2/variables", None), "op"),
    (("GET", "/api/v2/connections", None), "op"),
    (("POST", "/api/v2/pools", {"name": "role_pool_{role}", "slots": 1}), "op"),
    (("GET", "/api/v2/apps", None), "viewer"),
]
RANK = {"viewer": 0, "user": 1, "op": 2, "admin": 3}


@pytest.mark.parametrize("role", ["viewer", "user", "op", "admin"])
def test_each_role(broker: Broker, role: str) -> None:
    with broker.client(role) as client:
        for (method, path, body), lowest in CASES:
            if isinstance(body, dict):
                body = {k: v.format(role=role) if isinstance(v, str) else v for k, v in body.items()}
            response = client.request(method, path, json=body)
            allowed = RANK[role] >= RANK[lowest]
            if allowed:
                assert response.status_code < 400, (role, method, path, response.text)
            else:
                assert (response.status_code, response.json()) == (403, {"detail": "Forbidden"}), (role, path)


def test_viewer_cannot_trigger(broker: Broker) -> None:
    with broker.client("viewer") as client:
        method, path, body = TRIGGER
        assert client.request(method, path, json=body).status_code == 403


def _manager(tmp_path: Path, **env: str) -> AuthManager:
    base = {"AIRFLOW_HOME": str(tmp_path), "AIRFLOW__API_AUTH__JWT_SECRET": "s" * 64}
    return AuthManager(AirflowConfigParser(environ={**base, **env}))


def test_passwords_generated_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first = _manager(tmp_path, AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="alice:op,bob:viewer")
    path = tmp_path / "simple_auth_manager_passwords.json.generated"
    stored = path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600 and [p.name for p in tmp_path.iterdir()] == [path.name]
    # Without a terminal the log names the file; the password itself never reaches a log.
    assert str(path) in caplog.text and first.passwords["alice"] not in caplog.text
    second = _manager(tmp_path, AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="alice:op,bob:viewer")
    assert first.passwords == second.passwords and "alice" in stored
    user = second.authenticate("alice", first.passwords["alice"])
    assert user == User("alice", Role.OP)


def test_token_expiry_and_tampering(tmp_path: Path) -> None:
    auth = _manager(tmp_path, AIRFLOW__API_AUTH__JWT_LEEWAY="0")
    token = auth.issue(User("alice", Role.USER))
    assert auth.verify(token) == User("alice", Role.USER)
    header, payload, signature = token.split(".")
    with pytest.raises(AuthError) as forged:
        auth.verify(f"{header}.{payload}x.{signature}")
    assert forged.value.status == 403
    expired = auth.issue(User("alice", Role.USER), expires_in=-5)
    time.sleep(0.01)
    with pytest.raises(AuthError) as late:
        auth.verify(expired)
    assert (late.value.status, late.value.detail) == (401, "Token Expired")
    other = _manager(tmp_path, AIRFLOW__API_AUTH__JWT_SECRET="t" * 64)
    with pytest.raises(AuthError):
        other.verify(token)


def test_a_remembered_token_still_expires(tmp_path: Path) -> None:
    """verify() remembers a checked token; past its `exp` (plus the leeway) the token is refused all the same."""
    auth = _manager(tmp_path, AIRFLOW__API_AUTH__JWT_LEEWAY="0")
    token = auth.issue(User("alice", Role.USER), expires_in=2)  # `exp` is a whole second: at least 1 s ahead
    assert auth.verify(token) == User("alice", Role.USER)
    assert auth.verify(token) == User("alice", Role.USER)  # answered from memory
    time.sleep(2.1)
    with pytest.raises(AuthError) as late:
        auth.verify(token)
    assert (late.value.status, late.value.detail) == (401, "Token Expired")


def test_all_admins_is_opt_in(tmp_path: Path) -> None:
    assert _manager(tmp_path).all_admins is False
    assert _manager(tmp_path, AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True").all_admins is True


def test_parse_users() -> None:
    assert parse_users("a:admin, b:Viewer:team1|team2") == {"a": Role.ADMIN, "b": Role.VIEWER}
    with pytest.raises(ValueError, match="unknown role"):
        parse_users("a:superuser")


def test_a_handlers_user_is_the_one_the_router_check_authenticated() -> None:
    """`CurrentUser` reads the user `requires`' check had current_user authenticate (so that FastAPI does not solve
    the security schemes twice): every route declaring it must have current_user solved first, which also keeps
    both schemes in its OpenAPI security."""
    from typing import Any

    from fastapi.routing import APIRoute

    from riir_airflow.broker.app import create_app
    from riir_airflow.broker.deps import current_user, request_user

    def calls(dependant: Any) -> list[Any]:
        return [c for d in dependant.dependencies for c in [*calls(d), d.call]]  # in the order FastAPI solves them

    app = create_app(AirflowConfigParser(environ={}), dsn="postgresql://nobody@127.0.0.1/none")
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    for router in (getattr(r, "original_router", None) for r in app.router.routes):
        routes += [r for r in getattr(router, "routes", ()) if isinstance(r, APIRoute)]
    declaring = 0
    for route in routes:
        order = calls(route.dependant)
        if request_user in order:
            declaring += 1
            assert current_user in order[: order.index(request_user)], route.path
    assert declaring > 10
