"""The deploy identity an app records with each DAG version it registers (and so with every run and try, which
point at their version): who installed it, under which Kubernetes ServiceAccount, from which image, and in which
test-deploy environment.

    [riir] deployed_by      AIRFLOW__RIIR__DEPLOYED_BY      the chart's `deployedBy` (CI: --set deployedBy=...);
                                                            else CI's own variables (GITHUB_ACTOR, GITLAB_USER_LOGIN)
    [riir] service_account  AIRFLOW__RIIR__SERVICE_ACCOUNT  the pod's spec.serviceAccountName (set by the chart)
    [riir] deployed_image   AIRFLOW__RIIR__DEPLOYED_IMAGE   the DAG's image, repository:tag (set by the chart)
    [riir] environment      AIRFLOW__RIIR__ENVIRONMENT      see app/environment.py
"""

from __future__ import annotations

import os

from riir_airflow.app.environment import configured_environment
from riir_airflow.metastore.records import DeployIdentity

# Who triggered a CI pipeline, when the chart value is not given (GitHub Actions, GitLab CI, Jenkins, Buildkite).
CI_USER_VARIABLES = ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID", "BUILDKITE_BUILD_CREATOR")


def deploy_identity() -> DeployIdentity:
    from riir_airflow.config import conf

    def setting(key: str) -> str | None:
        return (conf.get("riir", key, fallback="") or "").strip() or None

    deployed_by = setting("deployed_by") or next((os.environ[v] for v in CI_USER_VARIABLES if os.environ.get(v)), None)
    return DeployIdentity(
        deployed_by=deployed_by,
        service_account=setting("service_account"),
        image=setting("deployed_image"),
        environment=configured_environment() or None,
    )
