"""The Helm chart rendered by a real helm 4 (tests/deploy/helm.py), every manifest validated against the
Kubernetes OpenAPI schema (kubernetes-validate, strict: unknown fields are errors), and the promises of the chart
checked on the rendered objects: PreStop drain, probes, per-DAG ServiceAccounts and Secrets, NetworkPolicies,
the role-setup and retire hooks, and a test deploy beside production."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.deploy.helm import CHART, helm, render

# The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the one helm 4.1 is built against.
KUBERNETES_VERSIONS = ("1.27.0", "1.35.0")

EXAMPLES = CHART / "examples"


def example(name: str) -> dict[str, Any]:
    """The chart's example values (charts/riir-airflow/examples/), which these tests render."""
    values: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    return values


# Production with three DAGs; the same on an external database with an Ingress; a branch's test deploy beside
# production (release "prod") on the same metastore, with no broker, pooler, database or migrations of its own.
THREE_DAGS = example("three-dags.yaml")
EXTERNAL_DATABASE = example("external-database.yaml")
TEST_DEPLOY = example("test-deploy.yaml")

SCENARIOS: dict[str, tuple[str, dict[str, Any] | None]] = {
    "defaults": ("prod", None),
    "three-dags": ("prod", THREE_DAGS),
    "external-database": ("prod", EXTERNAL_DATABASE),
    "test-deploy": ("feature-x", TEST_DEPLOY),
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {name: render(values, release=release) for name, (release, values) in SCENARIOS.items()}


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def named(docs: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def dag_deployments(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        d for d in of_kind(docs, "Deployment") if d["metadata"]["labels"]["app.kubernetes.io/component"] == "dag-app"
    ]


def pod_specs(docs: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "Job"):
            yield doc, doc["spec"]["template"]["spec"]


def referenced_secrets(pod: dict[str, Any]) -> set[str]:
    """Every Secret a pod can read: env secretKeyRefs, envFrom, volumes."""
    names: set[str] = set()
    for container in pod.get("initContainers", []) + pod["containers"]:
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    for volume in pod.get("volumes", []):
        if "secret" in volume:
            names.add(volume["secret"]["secretName"])
    return names


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


# --- the chart is valid ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_manifest_validates_against_the_kubernetes_schema(
    rendered: dict[str, list[dict[str, Any]]], scenario: str
) -> None:
    docs = rendered[scenario]
    assert docs
    for version in KUBERNETES_VERSIONS:
        for doc in docs:
            # Raises ValidationError naming the field on any unknown field, wrong type or missing required key.
            kubernetes_validate.validate(doc, version, strict=True)
    names = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(names) == len(set(names)), "two objects of one kind share a name"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_helm_lint_passes(scenario: str, tmp_path: Path) -> None:
    args = ["lint", str(CHART), "--strict"]
    _release, values = SCENARIOS[scenario]
    if values is not None:
        (tmp_path / "values.yaml").write_text(yaml.safe_dump(values))
        args += ["--values", str(tmp_path / "values.yaml")]
    result = helm(*args)
    assert "0 chart(s) failed" in result.stdout


def test_defaults_render_the_platform_without_dags(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["defaults"]
    deployments = {d["metadata"]["name"] for d in of_kind(docs, "Deployment")}
    assert deployments == {"prod-riir-airflow-broker", "prod-riir-airflow-pgbouncer"}
    assert {d["metadata"]["name"] for d in of_kind(docs, "StatefulSet")} == {"prod-riir-airflow-postgresql"}
    hooks = {d["metadata"]["name"]: d["metadata"]["annotations"]["helm.sh/hook"] for d in of_kind(docs, "Job")}
    assert hooks == {
        "prod-riir-airflow-migrate": "post-install,post-upgrade",
        "prod-riir-airflow-role-setup": "post-install,post-upgrade",
    }
    weights = {
        d["metadata"]["name"]: int(d["metadata"]["annotations"]["helm.sh/hook-weight"]) for d in of_kind(docs, "Job")
    }
    assert weights["prod-riir-airflow-migrate"] < weights["prod-riir-airflow-role-setup"]
    broker = named(docs, "Deployment", "prod-riir-airflow-broker")["spec"]["template"]["spec"]
    assert broker["initContainers"][0]["args"][:2] == ["db", "check-migrations"]


def test_schema_rejects_bad_values_with_the_key_named(tmp_path: Path) -> None:
    cases = {
        "missing file": ({"dags": [{"name": "etl"}]}, "missing property 'file'"),
        "unknown key": ({"dags": [{"name": "etl", "file": "/x.py", "replica": 2}]}, "replica"),
        "bad name": ({"dags": [{"name": "My_Dag", "file": "/x.py"}]}, "/dags/0/name"),
        "external db without secret": (
            {"postgresql": {"enabled": False}, "externalDatabase": {"host": "db"}},
            "externalDatabase.existingSecret is required",
        ),
        "undeclared variable": (
            {"dags": [{"name": "etl", "file": "/x.py", "variables": ["nope"]}]},
            '"nope" is not in the top-level variables',
        ),
        "undeclared connection": (
            {"dags": [{"name": "etl", "file": "/x.py", "connections": ["nope"]}]},
            '"nope" is not in the top-level connections',
        ),
        "duplicate dag": (
            {"dags": [{"name": "etl", "file": "/x.py"}, {"name": "etl", "file": "/y.py"}]},
            '"etl" is listed twice',
        ),
    }
    for case, (values, message) in cases.items():
        path = tmp_path / "values.yaml"
        path.write_text(yaml.safe_dump(values))
        result = helm("template", "prod", str(CHART), "--values", str(path), check=False)
        assert result.returncode != 0, case
        assert message in result.stderr, f"{case}: {result.stderr}"


# --- one Deployment per DAG with PreStop drain and probes ---------------------------------------------------------
def test_one_deployment_per_dag_with_its_image_resources_and_replicas(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["three-dags"]
    by_dag = {d["metadata"]["labels"]["riir-airflow.io/dag"]: d for d in dag_deployments(docs)}
    assert set(by_dag) == {"example-etl", "pods", "reports"}
    etl = by_dag["example-etl"]
    assert etl["spec"]["replicas"] == 2  # the second replica is a hot standby
    (app,) = etl["spec"]["template"]["spec"]["containers"]
    assert app["image"] == "registry.example.com/dags/example-etl:2024-06-01"
    assert app["args"][:2] == ["app", "/opt/airflow/dags/example_etl.py"]
    assert app["resources"] == {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "2Gi"}}
    assert env_of(app)["AIRFLOW__CORE__PARALLELISM"] == "8"
    assert env_of(app)["AIRFLOW__RIIR__DEPLOYED_BY"] == "ci@example.com"
    (reports,) = by_dag["reports"]["spec"]["template"]["spec"]["containers"]
    assert reports["image"] == "riir-airflow:0.1.0"  # no image of its own: the base image
    assert by_dag["reports"]["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "batch"}
    # Every DAG has its own PodDisruptionBudget selecting exactly its pods.
    pdbs = {
        p["spec"]["selector"]["matchLabels"].get("riir-airflow.io/dag") for p in of_kind(docs, "PodDisruptionBudget")
    }
    assert {"example-etl", "pods", "reports"} <= pdbs


def test_replicas_zero_scales_a_dag_down() -> None:
    values = copy.deepcopy(THREE_DAGS)
    values["dags"][2]["replicas"] = 0
    docs = render(values)
    replicas = {d["metadata"]["labels"]["riir-airflow.io/dag"]: d["spec"]["replicas"] for d in dag_deployments(docs)}
    assert replicas == {"example-etl": 2, "pods": 1, "reports": 0}


def test_prestop_drains_within_the_termination_grace_period(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for deployment in dag_deployments(rendered["three-dags"]):
        pod = deployment["spec"]["template"]["spec"]
        (app,) = pod["containers"]
        grace = pod["terminationGracePeriodSeconds"]
        file = app["args"][1]
        command = app["lifecycle"]["preStop"]["exec"]["command"]
        assert command[:4] == ["riir-airflow", "app", "drain", file]
        drain_timeout = float(command[command.index("--timeout") + 1])
        app_grace = float(app["args"][app["args"].index("--grace-period") + 1])
        # Running tries get the app's grace period, the drain command waits a little longer, Kubernetes longer still.
        assert app_grace < drain_timeout < grace
        assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    pods = named(rendered["three-dags"], "Deployment", "prod-riir-airflow-dag-pods")
    assert pods["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 600


def test_probes_hit_the_apps_health_endpoint(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for deployment in dag_deployments(rendered["three-dags"]):
        (app,) = deployment["spec"]["template"]["spec"]["containers"]
        port = int(app["args"][app["args"].index("--health-port") + 1])
        assert app["ports"] == [{"name": "health", "containerPort": port}]
        assert app["livenessProbe"]["httpGet"] == {"path": "/health", "port": "health"}
        assert app["startupProbe"]["httpGet"] == {"path": "/health", "port": "health"}
        assert app["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "health"}


# --- identity and credentials -------------------------------------------------------------------------------------
def test_each_dag_runs_under_its_own_service_account(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["three-dags"]
    accounts = {a["metadata"]["name"]: a for a in of_kind(docs, "ServiceAccount")}
    used = set()
    for deployment in dag_deployments(docs):
        pod = deployment["spec"]["template"]["spec"]
        account = accounts[pod["serviceAccountName"]]
        used.add(pod["serviceAccountName"])
        launches = deployment["metadata"]["labels"]["riir-airflow.io/dag"] == "pods"
        # Only a DAG that launches pods gets an API token at all.
        assert pod["automountServiceAccountToken"] is launches
        assert account["automountServiceAccountToken"] is launches
        (app,) = pod["containers"]
        assert env_of(app)["AIRFLOW__RIIR__SERVICE_ACCOUNT"] == {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}
    assert len(used) == 3
    assert accounts["prod-riir-airflow-dag-pods"]["metadata"]["annotations"] == {
        "iam.gke.io/gcp-service-account": "pods@p.iam.gserviceaccount.com"
    }


def test_only_dags_that_launch_pods_get_rbac_for_pods(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["three-dags"]
    (binding,) = [b for b in of_kind(docs, "RoleBinding") if b["metadata"]["labels"].get("riir-airflow.io/dag")]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "prod-riir-airflow-dag-pods", "namespace": "airflow"}
    ]
    role = named(docs, "Role", binding["roleRef"]["name"])
    verbs = {r["resources"][0]: set(r["verbs"]) for r in role["rules"]}
    assert {"create", "get", "watch", "delete"} <= verbs["pods"]
    assert "pods/log" in verbs
    assert not any("secrets" in r["resources"] for r in role["rules"])  # no reading other Secrets


def test_no_owner_credentials_in_dag_pods(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for scenario in ("three-dags", "external-database", "test-deploy"):
        docs = rendered[scenario]
        owner = {
            "three-dags": "prod-riir-airflow-postgresql",
            "external-database": "airflow-db-owner",
            "test-deploy": "prod-riir-airflow-postgresql",
        }[scenario]
        dag_db_secrets = {
            s["metadata"]["name"] for s in of_kind(docs, "Secret") if s["metadata"]["name"].endswith("-db")
        }
        for deployment in dag_deployments(docs):
            pod = deployment["spec"]["template"]["spec"]
            secrets = referenced_secrets(pod)
            assert owner not in secrets, f"{scenario}: {deployment['metadata']['name']} reads the owner's Secret"
            own = f"{deployment['metadata']['name']}-db"
            assert secrets & dag_db_secrets == {own}, "a DAG reads only its own database Secret"
            (app,) = pod["containers"]
            assert env_of(app)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == {
                "secretKeyRef": {"name": own, "key": "connection"}
            }
            assert not any("PASSWORD" in name for name in env_of(app))
        # The owner's Secret is read only by the hook Jobs and the database tier.
        readers = {
            doc["metadata"]["labels"]["app.kubernetes.io/component"]
            for doc, pod in pod_specs(docs)
            if owner in referenced_secrets(pod)
        }
        assert readers <= {"migrate", "role-setup", "retire", "pgbouncer", "postgresql", "broker"}, readers
        assert "dag-app" not in readers


def test_dags_get_only_their_declared_connections_and_secrets(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["three-dags"]
    etl = named(docs, "Deployment", "prod-riir-airflow-dag-example-etl")["spec"]["template"]["spec"]
    reports = named(docs, "Deployment", "prod-riir-airflow-dag-reports")["spec"]["template"]["spec"]
    assert referenced_secrets(etl) == {
        "prod-riir-airflow-dag-example-etl-db", "warehouse-conn", "warehouse-ssh-key", "warehouse-schema"
    }  # fmt: skip
    assert env_of(etl["containers"][0])["AIRFLOW_VAR_WAREHOUSE_SCHEMA"] == {
        "secretKeyRef": {"name": "warehouse-schema", "key": "value"}
    }
    assert env_of(etl["containers"][0])["AIRFLOW_CONN_WAREHOUSE"] == {
        "secretKeyRef": {"name": "warehouse-conn", "key": "uri"}
    }
    assert etl["containers"][0]["volumeMounts"][1] == {
        "name": "secret-warehouse-ssh-key",
        "mountPath": "/opt/airflow/secrets/warehouse-ssh-key",
        "readOnly": True,
    }
    assert referenced_secrets(reports) == {"prod-riir-airflow-dag-reports-db", "s3-conn"}


def test_role_setup_grants_each_dag_its_role_and_may_patch_only_their_secrets(
    rendered: dict[str, list[dict[str, Any]]],
) -> None:
    docs = rendered["three-dags"]
    job = named(docs, "Job", "prod-riir-airflow-role-setup")
    (container,) = job["spec"]["template"]["spec"]["containers"]
    env = env_of(container)
    entries = json.loads(env["RIIR_SETUP_DAGS"])
    assert [{k: e[k] for k in ("secret", "dagIds")} for e in entries] == [
        {"secret": "prod-riir-airflow-dag-example-etl-db", "dagIds": ["example_etl"]},
        {"secret": "prod-riir-airflow-dag-pods-db", "dagIds": ["pods"]},
        {"secret": "prod-riir-airflow-dag-reports-db", "dagIds": ["reports"]},
    ]
    # Each role is pinned to exactly the identity its pods record with their DAG versions.
    for entry in entries:
        deployment = named(docs, "Deployment", entry["secret"].removesuffix("-db"))
        pod = deployment["spec"]["template"]["spec"]
        (app,) = [c for c in pod["containers"] if "AIRFLOW__RIIR__DEPLOYED_IMAGE" in env_of(c)]
        assert entry["pin"]["image"] == env_of(app)["AIRFLOW__RIIR__DEPLOYED_IMAGE"] == app["image"]
        assert entry["pin"]["serviceAccount"] == pod["serviceAccountName"]
    assert json.loads(env["RIIR_SETUP_POOLS"]) == [
        {"name": "warehouse", "slots": 4, "description": "Warehouse connections"}
    ]
    assert env["RIIR_SETUP_POOLER"] == "prod-riir-airflow-pgbouncer:6432"
    (rule,) = named(docs, "Role", "prod-riir-airflow-role-setup")["rules"]
    assert rule["resources"] == ["secrets"] and set(rule["verbs"]) == {"get", "patch"}
    assert sorted(rule["resourceNames"]) == [d["secret"] for d in json.loads(env["RIIR_SETUP_DAGS"])]


def test_role_setup_points_the_printed_uri_at_the_pooler() -> None:
    spec = importlib.util.spec_from_file_location("role_setup", CHART / "files" / "role_setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    uri = "postgresql://riir_app_etl:s3cr%2Ft@db.internal:5432/airflow?sslmode=require"
    assert module.through_pooler(uri, "prod-riir-airflow-pgbouncer:6432") == (
        "postgresql://riir_app_etl:s3cr%2Ft@prod-riir-airflow-pgbouncer:6432/airflow?sslmode=require"
    )


def test_role_setup_pins_roles_with_flags_grant_app_accepts(rendered: dict[str, list[dict[str, Any]]]) -> None:
    from riir_airflow.cli.main import build_parser

    spec = importlib.util.spec_from_file_location("role_setup", CHART / "files" / "role_setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (job,) = [d for d in rendered["test-deploy"] if d["kind"] == "Job" and "role-setup" in d["metadata"]["name"]]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    (entry,) = json.loads(env_of(container)["RIIR_SETUP_DAGS"])
    argv = ["db", "grant-app", *entry["dagIds"], *module.pin_arguments(entry["pin"])]
    args = build_parser().parse_args(argv)
    assert args.environment == "test-feature-x"  # a test deploy's role is pinned to its environment too
    assert args.image == entry["pin"]["image"] and args.service_account == entry["pin"]["serviceAccount"]


# --- network policies ---------------------------------------------------------------------------------------------
def egress_targets(policy: dict[str, Any]) -> list[tuple[str, tuple[int, ...]]]:
    targets = []
    for rule in policy["spec"].get("egress", []):
        ports = tuple(int(p["port"]) for p in rule.get("ports", []))
        for peer in rule["to"]:
            if "ipBlock" in peer:
                targets.append((f"cidr:{peer['ipBlock']['cidr']}", ports))
            elif "namespaceSelector" in peer:
                targets.append(("dns", ports))
            else:
                labels = peer["podSelector"].get("matchLabels", {})
                targets.append((labels["app.kubernetes.io/component"], ports))
    return targets


def test_network_policies_confine_apps_to_the_pooler_and_dns(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["three-dags"]
    apps = named(docs, "NetworkPolicy", "prod-riir-airflow-dag-apps")
    assert apps["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert egress_targets(apps) == [("pgbouncer", (6432,)), ("dns", (53, 53))]
    assert apps["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8793}]}]  # probes only
    api = named(docs, "NetworkPolicy", "prod-riir-airflow-dag-apps-kubernetes-api")
    assert api["spec"]["podSelector"]["matchLabels"]["riir-airflow.io/launches-pods"] == "true"
    assert egress_targets(api) == [("cidr:0.0.0.0/0", (443, 6443))]
    labelled = {
        d["metadata"]["labels"]["riir-airflow.io/dag"]
        for d in dag_deployments(docs)
        if d["spec"]["template"]["metadata"]["labels"].get("riir-airflow.io/launches-pods") == "true"
    }
    assert labelled == {"pods"}  # only the DAG that launches pods reaches the API
    broker = named(docs, "NetworkPolicy", "prod-riir-airflow-broker")
    assert egress_targets(broker) == [("pgbouncer", (6432,)), ("dns", (53, 53))]
    database = named(docs, "NetworkPolicy", "prod-riir-airflow-postgresql")
    allowed = database["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][1]["values"]
    assert "dag-app" not in allowed and "broker" not in allowed
    assert database["spec"]["egress"] == []
    # No DAGs launch pods: no API policy at all.
    assert not [p for p in of_kind(rendered["defaults"], "NetworkPolicy") if "kubernetes-api" in p["metadata"]["name"]]


def test_external_database_is_reached_only_by_pgbouncer_and_the_jobs(rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["external-database"]
    assert not of_kind(docs, "StatefulSet")
    pgbouncer = named(docs, "NetworkPolicy", "prod-riir-airflow-pgbouncer")
    assert egress_targets(pgbouncer)[0] == ("cidr:0.0.0.0/0", (5432,))
    config = named(docs, "ConfigMap", "prod-riir-airflow-pgbouncer")["data"]["pgbouncer.ini"]
    assert "host=db.example.com port=5432" in config
    migrate = named(docs, "Job", "prod-riir-airflow-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert env_of(migrate)["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == (
        "postgresql://$(DB_OWNER_USER):$(DB_OWNER_PASSWORD)@db.example.com:5432/airflow"
    )
    ingress = named(docs, "Ingress", "prod-riir-airflow-broker")
    assert ingress["spec"]["tls"] == [{"hosts": ["airflow.example.com"], "secretName": "airflow-tls"}]
    # The database outlives the release: uninstalling retires the DAGs (history kept in production).
    retire = named(docs, "Job", "prod-riir-airflow-retire")
    assert retire["metadata"]["annotations"]["helm.sh/hook"] == "post-delete"
    script = retire["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert 'riir-airflow app retire "example_etl"\n' in script and "--purge" not in script


# --- a test deploy beside production ------------------------------------------------------------------------------
def test_a_test_deploy_is_namespaced_and_shares_only_the_metastore(rendered: dict[str, list[dict[str, Any]]]) -> None:
    prod, test = rendered["three-dags"], rendered["test-deploy"]
    # Nothing of production's is rendered again, and no object name collides in the shared namespace.
    assert {d["kind"] for d in test}.isdisjoint({"StatefulSet"})
    assert {(d["kind"], d["metadata"]["name"]) for d in prod}.isdisjoint(
        {(d["kind"], d["metadata"]["name"]) for d in test}
    )
    (deployment,) = dag_deployments(test)
    (app,) = deployment["spec"]["template"]["spec"]["containers"]
    env = env_of(app)
    assert env["AIRFLOW__RIIR__ENVIRONMENT"] == "test-feature-x"
    assert env["AIRFLOW__RIIR__DEPLOYED_BY"] == "alice"
    assert app["image"] == "registry.example.com/dags/example-etl:feature-x"
    assert deployment["metadata"]["labels"]["riir-airflow.io/environment"] == "test-feature-x"
    # The DAG's id, role and pools are namespaced; the app reaches production's pooler.
    setup = named(test, "Job", "feature-x-riir-airflow-role-setup")["spec"]["template"]["spec"]["containers"][0]
    setup_env = env_of(setup)
    assert json.loads(setup_env["RIIR_SETUP_DAGS"])[0]["dagIds"] == ["test-feature-x.example_etl"]
    assert json.loads(setup_env["RIIR_SETUP_POOLS"])[0]["name"] == "test-feature-x.warehouse"
    assert setup_env["RIIR_SETUP_POOLER"] == "prod-riir-airflow-pgbouncer:6432"
    policy = named(test, "NetworkPolicy", "feature-x-riir-airflow-dag-apps")
    assert egress_targets(policy)[0] == ("pgbouncer", (6432,))
    # `helm uninstall` removes the branch's DAGs with their history.
    retire = named(test, "Job", "feature-x-riir-airflow-retire")["spec"]["template"]["spec"]["containers"][0]
    assert 'riir-airflow app retire "test-feature-x.example_etl" --purge --yes' in retire["command"][2]


def test_values_yaml_documents_the_interface_keys() -> None:
    text = (CHART / "values.yaml").read_text()
    values = yaml.safe_load(text)
    for key in ("dags", "pools", "connections", "externalDatabase", "environment", "deployedBy"):
        assert key in values
    assert values["pgbouncer"]["enabled"] is True and values["postgresql"]["enabled"] is True
    assert set(values["externalDatabase"]) >= {"host", "port", "database", "existingSecret"}
    for field in (
        "name:",
        "file:",
        "image:",
        "env:",
        "resources:",
        "replicas:",
        "serviceAccount:",
        "secrets:",
        "connections:",
        "launchesPods:",
    ):
        assert f"#   {field}" in text, f"dags entry field {field} is not documented in values.yaml"
    schema = json.loads((CHART / "values.schema.json").read_text())
    dag_fields = schema["properties"]["dags"]["items"]["properties"]
    assert {"name", "file", "image", "env", "resources", "replicas", "serviceAccount", "secrets", "connections"} <= set(
        dag_fields
    )


# --- the chart's commands are the CLI's ---------------------------------------------------------------------------
def parse_cli(argv: list[str]) -> None:
    """Parses a riir-airflow command line exactly as the CLI would, without running it (SystemExit on an error)."""
    from riir_airflow.cli.app_command import _app_parsers
    from riir_airflow.cli.main import build_parser

    if argv[0] == "app":
        name = argv[1] if argv[1] in ("drain", "retire") else "run"
        _app_parsers()[name].parse_args(argv[2:] if name != "run" else argv[1:])
    else:
        build_parser().parse_args(argv)


def test_every_riir_airflow_command_in_the_chart_parses(rendered: dict[str, list[dict[str, Any]]]) -> None:
    import shlex

    seen: set[str] = set()
    for scenario in ("three-dags", "external-database", "test-deploy"):
        for _doc, pod in pod_specs(rendered[scenario]):
            for container in pod.get("initContainers", []) + pod["containers"]:
                if not container["image"].startswith(("riir-airflow:", "registry.example.com/dags/")):
                    continue
                if "args" in container:
                    parse_cli(container["args"])
                    seen.add(container["args"][0])
                pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command")
                if pre_stop:
                    assert pre_stop[0] == "riir-airflow"
                    parse_cli(pre_stop[1:])
                    seen.add("drain")
                command = container.get("command", [])
                if command[:2] == ["sh", "-ec"]:  # the retire hook's script
                    for line in command[2].splitlines():
                        if line.strip():
                            words = shlex.split(line)
                            assert words[0] == "riir-airflow"
                            parse_cli(words[1:])
                            seen.add("retire")
    assert seen == {"app", "broker", "db", "drain", "retire"}
