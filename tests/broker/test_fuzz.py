"""Schemathesis fuzzes every operation in the broker's own OpenAPI spec against a live server: no 5xx.

Examples per operation are bounded so the whole run stays well under two minutes on two cores.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.broker.conftest import Broker

pytestmark = pytest.mark.postgres

EXAMPLES_PER_OPERATION = 10


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
