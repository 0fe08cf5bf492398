"""Every broker response carries `Server-Timing` (wall and CPU time inside the broker), what browsers' developer
tools and benchmarks/bench_ui.py read."""

from __future__ import annotations

import pytest

from riir_airflow.broker.timing import parse
from tests.broker.conftest import Broker

pytestmark = pytest.mark.postgres


def test_api_and_page_responses_say_how_long_the_broker_took(broker: Broker) -> None:
    with broker.client() as client:
        for path in ("/api/v2/version", "/api/v2/dags?limit=5", "/api/v2/dags/nope"):
            response = client.get(path)
            timing = parse(response.headers["server-timing"])
            assert set(timing) == {"app", "cpu"}, path
            assert timing["app"] >= 0 and timing["cpu"] >= 0, path


def test_parse() -> None:
    assert parse("app;dur=12.5, cpu;dur=3") == {"app": 12.5, "cpu": 3.0}
    assert parse("cache;desc=hit, app;dur=1") == {"app": 1.0}
