"""Security headers on every answer and a sliding-window limit on token requests."""

from __future__ import annotations

import httpx
import pytest

from riir_airflow.broker.hardening import (
    API_CSP,
    UI_CSP,
    RateLimiter,
    add_security_headers,
    carries_credentials,
    parse_limit,
)
from tests.broker.conftest import PASSWORD, Broker

pytestmark = pytest.mark.postgres


def test_security_headers(broker: Broker) -> None:
    with broker.client("viewer") as client:
        for response in (client.get("/api/v2/dags"), client.get("/api/v2/monitor/health"), client.get("/nope")):
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["content-security-policy"].startswith("default-src 'none'")
            assert response.headers["referrer-policy"] == "no-referrer"
        assert client.get("/api/v2/dags").headers["cache-control"] == "no-store"


def test_login_attempts_are_limited_per_client(broker: Broker) -> None:
    codes = [
        httpx.post(f"{broker.url}/auth/token", json={"username": "viewer", "password": "wrong"}).status_code
        for _ in range(12)
    ]
    assert 401 in codes and codes[-1] == 429
    limited = httpx.post(f"{broker.url}/auth/token", json={"username": "viewer", "password": PASSWORD.format("viewer")})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    # Authenticated API calls are not limited by it.
    with broker.client("viewer") as client:
        assert client.get("/api/v2/dags").status_code == 200


def test_rate_limiter_window_and_spec() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10.0, clock=lambda: now[0])
    assert limiter.hit("a") is None and limiter.hit("a") is None and limiter.hit("a") == 10.0
    assert limiter.hit("b") is None  # per client
    now[0] = 10.5
    assert limiter.hit("a") is None
    assert parse_limit("5 per 40 second") == (5, 40.0) and parse_limit("3/minute") == (3, 60.0)
    with pytest.raises(ValueError, match="login_rate_limit"):
        parse_limit("lots")


def test_which_security_headers_apply() -> None:
    def added(headers: list[tuple[bytes, bytes]], path: str = "/api/v2/dags", **flags: bool) -> dict[bytes, bytes]:
        headers = list(headers)
        add_security_headers(headers, path=path, credentials=flags.get("credentials", False),
                             https=flags.get("https", False))  # fmt: skip
        assert len({key for key, _ in headers}) == len(headers)  # never a second header of one name
        return dict(headers)

    json, page = [(b"content-type", b"application/json")], [(b"content-type", b"text/html; charset=utf-8")]
    assert added(json)[b"content-security-policy"] == API_CSP.encode()
    assert added(page, "/dags")[b"content-security-policy"] == UI_CSP.encode()
    assert b"content-security-policy" not in added(page, "/docs")  # Swagger loads its scripts from a CDN
    assert b"cache-control" not in added(json) and added(json, credentials=True)[b"cache-control"] == b"no-store"
    assert b"strict-transport-security" not in added(json) and b"strict-transport-security" in added(json, https=True)
    own = added([*json, (b"x-frame-options", b"SAMEORIGIN"), (b"cache-control", b"max-age=5")], credentials=True)
    assert own[b"x-frame-options"] == b"SAMEORIGIN" and own[b"cache-control"] == b"max-age=5"


def test_credentials_are_a_token_header_or_cookie() -> None:
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, object]:
        return {"headers": list(headers)}

    assert carries_credentials(scope((b"authorization", b"Bearer x")))
    assert carries_credentials(scope((b"cookie", b"a=1; _token=x")))
    assert not carries_credentials(scope((b"cookie", b"a=1"), (b"authorization", b"")))
    assert not carries_credentials(scope((b"cookie", b"_token=x"), (b"cookie", b"_token=")))  # the last one wins
