"""Schemathesis fuzzes every operation in the broker's own OpenAPI spec against a live server: no 5xx, and with no
token every operation but health, version and the token endpoints answers 401.

Examples per operation are bounded so the whole run stays well under two minutes on two cores when the machine is
quiet.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.broker.conftest import Broker

pytestmark = pytest.mark.postgres

EXAMPLES_PER_OPERATION = 10


# A loaded machine (a cold first run computing Airflow's references beside it) can take minutes; pytest-timeout's
# signal inside Hypothesis leaves its engine half-updated, so give the bounded run room instead.
@pytest.mark.timeout(600)
def test_no_server_errors(broker: Broker) -> None:
    headers = {"Authorization": f"Bearer {broker.tokens['admin']}"}
    schema = schemathesis.openapi.from_url(f"{broker.url}/openapi.json", headers=headers)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)  # fmt: skip
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(headers=headers, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.body!r} -> {response.status_code}: "
                                f"{response.text[:300]}")  # fmt: skip

        fuzz()
    assert operations > 50
    assert not failures, "\n".join(failures[:20])


# The only operations Airflow's API serves without a token (and the token endpoints themselves).
PUBLIC = {"GET /api/v2/version", "GET /api/v2/monitor/health", "POST /auth/token", "GET /auth/token",
          "POST /auth/token/cli"}  # fmt: skip


@pytest.mark.timeout(600)
def test_every_operation_refuses_a_missing_token(broker: Broker) -> None:
    schema = schemathesis.openapi.from_url(f"{broker.url}/openapi.json")
    answered: dict[str, set[int]] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)  # fmt: skip
        def call(case: schemathesis.Case) -> None:
            # Generated cases may carry a random bearer token (the spec's security schemes): drop it.
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            case.cookies = {}
            response = case.call(timeout=30)
            answered.setdefault(f"{case.method.upper()} {case.operation.path}", set()).add(response.status_code)

        call()
    assert len(answered) > 50 and set(answered) >= PUBLIC
    refused = {name: codes for name, codes in answered.items() if name not in PUBLIC and codes != {401}}
    assert not refused, refused
