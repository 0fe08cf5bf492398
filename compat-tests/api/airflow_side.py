"""Run by real Airflow's interpreter: serve dags/ with `airflow api-server` on a loopback port, send REQUESTS,
print {name: [status, body]} as JSON. (compat-tests/api/check.py caches this output.)"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from requests_spec import REQUESTS

HERE = Path(__file__).resolve().parent


def call(url, method, path, body, token):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw else None


def main():
    home = Path(os.environ["AIRFLOW_HOME"])
    dags = home / "dags"
    shutil.copytree(HERE / "dags", dags)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, AIRFLOW__CORE__DAGS_FOLDER=str(dags), AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin",
               AIRFLOW__API__EXPOSE_CONFIG="True", AIRFLOW__API__PORT=str(port))  # fmt: skip
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([airflow, "dags", "reserialize"], env=env, check=True, capture_output=True)
    # One finished run with task instances, logs and XCom, like the seeded run on riir's side.
    subprocess.run([airflow, "dags", "test", "broker_example", "2026-01-01"], env=env, check=True, capture_output=True)
    server = subprocess.Popen([airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(url + "/api/v2/version", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("airflow api-server did not start") from None
                time.sleep(1)
        # The api-server generated the admin's password into this file on start.
        passwords = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())
        status, body = call(url, "POST", "/auth/token", {"username": "admin", "password": passwords["admin"]}, None)
        token = body["access_token"]
        out = {"token": [status, body]}
        status, runs = call(url, "GET", "/api/v2/dags/broker_example/dagRuns", None, token)
        done_run = runs["dag_runs"][0]["dag_run_id"]
        for name, method, path, body in REQUESTS:
            path = path.replace("{done_run}", done_run)
            if body == "NO_TOKEN":
                out[name] = list(call(url, method, path, None, None))
            else:
                out[name] = list(call(url, method, path, body, token))
        print(json.dumps(out))
    finally:
        # The answers are already printed: a server slow to stop under load (its workers finish their requests
        # first) is killed rather than failing the reference.
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
