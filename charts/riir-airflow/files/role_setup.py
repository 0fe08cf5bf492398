"""The chart's role-setup Job (a helm hook after `db migrate`), run with the database owner's login.

For each DAG entry of the release: `riir-airflow db grant-app DAG_ID...` creates or updates the DAG's database role,
pinned to the identity its pods record (image, ServiceAccount, and the release's environment and deployer when set),
and prints its connection URI; the URI is pointed at the pooler and stored under `connection` in that DAG's Secret
(the only Secret the DAG's pods mount). Then the release's pools are created or resized.

The Kubernetes API is called with the Job's own ServiceAccount token, which may get and patch exactly those Secrets.
Input comes from the environment the chart renders: RIIR_SETUP_DAGS ([{secret, dagIds, pin: {image, serviceAccount, environment?, deployedBy?}}]), RIIR_SETUP_POOLS
([{name, slots, description}]), RIIR_SETUP_POOLER (host:port), RIIR_SETUP_NAMESPACE.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
import urllib.request
from urllib.parse import urlsplit, urlunsplit

ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


def run(*args: str) -> str:
    result = subprocess.run(["riir-airflow", *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"riir-airflow {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def through_pooler(uri: str, pooler: str) -> str:
    """The app logs in as its role through the pooler, not straight to the database host the owner used."""
    parts = urlsplit(uri)
    userinfo = parts.netloc.rpartition("@")[0]
    if not userinfo:
        sys.exit("db grant-app printed a URI without a user: cannot store it")
    return urlunsplit(parts._replace(netloc=f"{userinfo}@{pooler}"))


def patch_secret(namespace: str, name: str, data: dict[str, str]) -> None:
    with open(f"{ACCOUNT}/token") as f:
        token = f.read().strip()
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    body = json.dumps({"data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}}).encode()
    request = urllib.request.Request(
        f"https://{host}:{port}/api/v1/namespaces/{namespace}/secrets/{name}",
        data=body,
        method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/merge-patch+json"},
    )
    context = ssl.create_default_context(cafile=f"{ACCOUNT}/ca.crt")
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        response.read()


PIN_FLAGS = {"image": "--image", "serviceAccount": "--service-account", "environment": "--environment",
             "deployedBy": "--deployed-by"}  # fmt: skip


def pin_arguments(pin: dict[str, str]) -> list[str]:
    """`db grant-app` flags that pin the role to what the DAG's pods record with their DAG versions."""
    return [part for key, flag in PIN_FLAGS.items() if pin.get(key) for part in (flag, pin[key])]


def main() -> None:
    namespace = os.environ["RIIR_SETUP_NAMESPACE"]
    pooler = os.environ["RIIR_SETUP_POOLER"]
    for entry in json.loads(os.environ["RIIR_SETUP_DAGS"]):
        output = run("db", "grant-app", *entry["dagIds"], *pin_arguments(entry.get("pin", {}))).strip().splitlines()
        uri = next((line for line in reversed(output) if line.startswith(("postgresql://", "postgres://"))), None)
        if uri is None:
            sys.exit(f"db grant-app {' '.join(entry['dagIds'])} printed no connection URI")
        patch_secret(namespace, entry["secret"], {"connection": through_pooler(uri, pooler)})
        print(f"Role of {', '.join(entry['dagIds'])} stored in Secret {entry['secret']}")
    for pool in json.loads(os.environ["RIIR_SETUP_POOLS"]):
        run("pools", "set", pool["name"], str(pool["slots"]), pool["description"])
        print(f"Pool {pool['name']}: {pool['slots']} slots")


if __name__ == "__main__":
    main()
