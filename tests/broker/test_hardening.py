"""Security headers on every answer and a sliding-window limit on token requests."""

from __future__ import annotations

import httpx
import pytest

from riir_airflow.broker.hardening import RateLimiter, parse_limit
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
