"""The API hides secrets as Airflow's does: passwords, sensitive variable keys, sensitive fields of JSON values
and connection extras; values under other names come back as stored."""

from __future__ import annotations

import json

import pytest

from tests.broker.conftest import Broker

pytestmark = pytest.mark.postgres


def test_variables_and_connections_are_masked(broker: Broker) -> None:
    with broker.client("op") as client:
        for key, value in [("mask_api_key", "k-12345"), ("mask_plain", "visible"),
                           ("mask_json", json.dumps({"user": "u", "password": "p-12345", "n": 3}))]:  # fmt: skip
            assert client.post("/api/v2/variables", json={"key": key, "value": value}).status_code == 201
        assert client.get("/api/v2/variables/mask_api_key").json()["value"] == "***"
        assert client.get("/api/v2/variables/mask_plain").json()["value"] == "visible"
        assert json.loads(client.get("/api/v2/variables/mask_json").json()["value"]) == {
            "user": "u", "password": "***", "n": 3,
        }  # fmt: skip
        listed = {v["key"]: v["value"] for v in client.get("/api/v2/variables?limit=100").json()["variables"]}
        assert listed["mask_api_key"] == "***" and "k-12345" not in json.dumps(listed)
        body = {"connection_id": "mask_conn", "conn_type": "http", "password": "cp-12345", "login": "me",
                "extra": json.dumps({"token": "t-12345", "timeout": 5})}  # fmt: skip
        assert client.post("/api/v2/connections", json=body).status_code == 201
        shown = client.get("/api/v2/connections/mask_conn").json()
        assert shown["password"] == "***" and shown["login"] == "me"
        assert json.loads(shown["extra"]) == {"token": "***", "timeout": 5}
