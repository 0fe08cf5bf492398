"""Secrets masking follows Airflow 3.3.2's secrets_masker: same names hidden, same structures redacted, log lines
masked once a secret is known."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from riir_airflow.secrets_masker import SecretsMasker

sys.path.insert(0, str(Path(__file__).parent.parent / "compat-tests"))
from airflow_env import airflow_env, airflow_python

NAMES = ["password", "db_password", "MY-API-KEY", "apikey", "access_token", "Authorization", "proxies", "host",
         "login", "user", "my_dsn", "webhook_url", "private_key_path", "custom_field", "CUSTOM FIELD", "schema",
         "tokenizer", "secret_sauce", "aws_access_key_id"]  # fmt: skip
STRUCTURE = {
    "host": "db.example",
    "password": "hunter2-long",
    "nested": {"api_key": ["k1", {"x": 1}], "list": [{"token": "abc"}, "plain"], "custom_field": "c-value"},
    "items": [1, "two", None],
}


def test_names_structures_and_registered_values() -> None:
    masker = SecretsMasker(["custom_field"])
    assert masker.should_hide_value_for_key("DB-Password") and masker.should_hide_value_for_key("custom field")
    assert not masker.should_hide_value_for_key("host") and not masker.should_hide_value_for_key(3)
    redacted = masker.redact(STRUCTURE)
    assert redacted["password"] == "***" and redacted["nested"]["api_key"] == ["***", {"x": 1}]
    assert redacted["nested"]["list"] == [{"token": "***"}, "plain"] and redacted["host"] == "db.example"
    masker.add_mask("s3cr3t-value")
    masker.add_mask("abc")  # too short: never masked (it would garble every log)
    masker.add_mask("airflow")
    masker.add_mask("not-hidden-by-name", "host")  # a named value counts only under a sensitive name
    assert masker.mask_text("x s3cr3t-value abc airflow not-hidden-by-name") == "x *** abc airflow not-hidden-by-name"
    off = SecretsMasker(hide_sensitive_fields=False)
    assert off.redact({"password": "p"}) == {"password": "p"}


def test_log_records_are_masked_with_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    masker = SecretsMasker()
    masker.add_mask("pa55word-xyz")
    logger = logging.getLogger("riir.test.masking")
    logger.addFilter(masker)
    try:
        with caplog.at_level(logging.INFO, logger="riir.test.masking"):
            logger.info("connecting with %s", "pa55word-xyz")
            try:
                raise ValueError("bad pa55word-xyz")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.removeFilter(masker)
    # The message, the source line and the exception text of the traceback.
    assert "pa55word-xyz" not in caplog.text and caplog.text.count("***") == 3


_REFERENCE = """
import json, sys
from airflow.sdk._shared.secrets_masker.secrets_masker import DEFAULT_SENSITIVE_FIELDS, SecretsMasker
args = json.loads(sys.argv[1])
m = SecretsMasker()
# What airflow.settings configures from [core] sensitive_var_conn_names = custom_field
m.sensitive_variables_fields = list(DEFAULT_SENSITIVE_FIELDS) + ["custom_field"]
m.hide_sensitive_var_conn_fields = True
def plain(v):
    return list(v) if isinstance(v, tuple) else v
print(json.dumps({"hidden": {n: m.should_hide_value_for_key(n) for n in args["names"]},
                  "redacted": json.loads(json.dumps(m.redact(args["structure"]), default=plain))}))
"""


@pytest.mark.compat
def test_same_decisions_as_airflow() -> None:
    with tempfile.TemporaryDirectory() as home:
        args = json.dumps({"names": NAMES, "structure": STRUCTURE})
        done = subprocess.run([str(airflow_python()), "-c", _REFERENCE, args], env=airflow_env(Path(home)),
                              capture_output=True, text=True, timeout=300, check=True)  # fmt: skip
    theirs: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    ours = SecretsMasker(["custom_field"])
    assert {n: ours.should_hide_value_for_key(n) for n in NAMES} == theirs["hidden"]
    assert json.loads(json.dumps(ours.redact(STRUCTURE))) == theirs["redacted"]
