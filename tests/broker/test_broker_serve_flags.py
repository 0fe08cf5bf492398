"""Airflow's api-server flags on `riir-airflow broker`: TLS (--ssl-cert/--ssl-key/--ssl-cert-reqs), --daemon with its
PID and output files, --proxy-headers and --log-config."""

from __future__ import annotations

import datetime
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from riir_airflow.broker.proxy_headers import ProxyHeaders
from tests.broker.conftest import free_port, prepare_database

HEALTH = "/api/v2/monitor/health"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def broker_env(home: Path, dsn: str) -> dict[str, str]:
    return {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": dsn}


def broker(*flags: str) -> list[str]:
    return [sys.executable, "-m", "riir_airflow.cli.main", "broker", "--host", "127.0.0.1", *flags]


def wait_healthy(url: str, verify: Any = True, timeout: float = 40) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.get(url + HEALTH, verify=verify)
            if response.status_code == 200:
                return response
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not answer"
        time.sleep(0.2)


@pytest.mark.postgres
@pytest.mark.e2e
async def test_serves_https_with_the_given_certificate(pg_dsn: str, tmp_path: Path) -> None:
    await prepare_database(pg_dsn)
    cert, key = self_signed(tmp_path)
    port = free_port()
    command = broker("--port", str(port), "--ssl-cert", str(cert), "--ssl-key", str(key))
    proc = subprocess.Popen(command, env=broker_env(tmp_path, pg_dsn), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        assert wait_healthy(f"https://127.0.0.1:{port}", verify=trusting).json()["metadatabase"]["status"] == "healthy"
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served on the TLS port
            httpx.get(f"http://127.0.0.1:{port}{HEALTH}")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):  # nor is an unknown certificate
            httpx.get(f"https://127.0.0.1:{port}{HEALTH}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        assert proc.stdout is not None
        assert f"riir-airflow broker on https://127.0.0.1:{port}" in proc.stdout.read().decode()
        proc.stdout.close()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--ssl-cert", "{cert}"], "Need both, have provided SSL certificate but not SSL key"),
        (["--ssl-key", "{key}"], "Need both, have provided SSL key but not SSL certificate"),
        (
            ["--ssl-cert", "{cert}", "--ssl-key", "/nonexistent/key.pem"],
            "SSL related file does not exist /nonexistent/key.pem",
        ),
        (
            ["--ssl-cert", "{cert}", "--ssl-key", "{key}", "--ssl-cert-reqs", "required"],
            "--ssl-cert-reqs required needs --ssl-ca-file",
        ),
    ],
)
def test_bad_tls_settings_are_refused_with_airflows_message(tmp_path: Path, flags: list[str], message: str) -> None:
    cert, key = self_signed(tmp_path)
    argv = [flag.format(cert=cert, key=key) for flag in flags]
    env = broker_env(tmp_path, "postgresql://postgres@127.0.0.1:1/nowhere")
    result = subprocess.run(broker("--port", "1", *argv), env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode in (1, 2)
    assert message in result.stderr


@pytest.mark.postgres
@pytest.mark.e2e
async def test_daemon_detaches_writes_its_pid_file_and_refuses_a_second_copy(pg_dsn: str, tmp_path: Path) -> None:
    await prepare_database(pg_dsn)
    port = free_port()
    pid_file, out, err = tmp_path / "broker.pid", tmp_path / "broker.out", tmp_path / "broker.err"
    files = ["--pid", str(pid_file), "--stdout", str(out), "--stderr", str(err)]
    env = broker_env(tmp_path, pg_dsn)
    started = subprocess.run(broker("--port", str(port), "-D", *files), env=env, capture_output=True, text=True,
                             timeout=60)  # fmt: skip
    assert started.returncode == 0, started.stderr  # the terminal gets its prompt back at once
    wait_healthy(f"http://127.0.0.1:{port}")
    pid = int(pid_file.read_text())
    try:
        # detached: a new session, whose leader has already exited (so it can never get a controlling terminal)
        assert os.getsid(pid) not in (os.getsid(0), pid)
        assert f"riir-airflow broker on http://127.0.0.1:{port}" in out.read_text()
        again = subprocess.run(broker("--port", str(free_port()), "-D", *files), env=env, capture_output=True,
                               text=True, timeout=60)  # fmt: skip
        assert again.returncode == 1
        assert f"The api_server is already running under PID {pid}." in again.stderr
    finally:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not pid_file.exists()  # removed when the daemon stops


def test_daemon_default_files_are_airflows(tmp_path: Path) -> None:
    import argparse

    from riir_airflow.cli.daemon import daemon_files

    files = daemon_files("api_server", argparse.Namespace(pid=None, stdout=None, stderr=None, log_file=None))
    home = Path(os.environ.get("AIRFLOW_HOME", Path.home() / "airflow"))
    assert (files.pid, files.stdout, files.stderr, files.log) == tuple(
        home / f"airflow-api_server.{ext}" for ext in ("pid", "out", "err", "log")
    )


async def test_proxy_headers_come_only_from_trusted_proxies() -> None:
    seen: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(dict(scope))

    headers = [(b"x-forwarded-for", b"203.0.113.7, 10.0.0.2"), (b"x-forwarded-proto", b"https")]
    middleware = ProxyHeaders(app, trusted={"127.0.0.1", "10.0.0.2"})
    await middleware({"type": "http", "client": ("127.0.0.1", 5000), "scheme": "http", "headers": headers}, None, None)
    await middleware({"type": "http", "client": ("198.51.100.9", 5000), "scheme": "http", "headers": headers}, None,
                     None)  # fmt: skip
    assert (seen[0]["client"], seen[0]["scheme"]) == (("203.0.113.7", 0), "https")
    assert (seen[1]["client"], seen[1]["scheme"]) == (("198.51.100.9", 5000), "http")  # untrusted peer: unchanged


@pytest.mark.postgres
@pytest.mark.e2e
async def test_log_config_file_is_applied(pg_dsn: str, tmp_path: Path) -> None:
    await prepare_database(pg_dsn)
    log_file = tmp_path / "broker.log"
    config = {
        "version": 1, "disable_existing_loggers": False,
        "handlers": {"file": {"class": "logging.FileHandler", "filename": str(log_file)}},
        "root": {"handlers": ["file"], "level": "INFO"},
    }  # fmt: skip
    (tmp_path / "logging.json").write_text(json.dumps(config))
    port = free_port()
    command = broker("--port", str(port), "--log-config", str(tmp_path / "logging.json"))
    proc = subprocess.Popen(
        command, env=broker_env(tmp_path, pg_dsn), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert log_file.exists()


@pytest.mark.postgres
@pytest.mark.e2e
async def test_dev_mode_serves_under_granians_reloader(pg_dsn: str, tmp_path: Path) -> None:
    await prepare_database(pg_dsn)
    port = free_port()
    proc = subprocess.Popen(broker("--port", str(port), "--dev"), env=broker_env(tmp_path, pg_dsn),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{port}")
        # The reloader watches and supervises; the app is served by a worker it restarts on a code change.
        assert Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        assert "in development mode" in proc.stdout.read().decode()
        proc.stdout.close()
