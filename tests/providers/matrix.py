"""The provider matrix of issue 13: the distributions `make test` installs (with `riir-airflow providers install`,
never apache-airflow) and checks."""

from __future__ import annotations

MATRIX = (
    "apache-airflow-providers-standard", "apache-airflow-providers-common-sql", "apache-airflow-providers-common-io",
    "apache-airflow-providers-common-compat", "apache-airflow-providers-sqlite", "apache-airflow-providers-postgres",
    "apache-airflow-providers-http", "apache-airflow-providers-smtp", "apache-airflow-providers-ftp",
    "apache-airflow-providers-ssh", "apache-airflow-providers-sftp", "apache-airflow-providers-redis",
    "apache-airflow-providers-slack", "apache-airflow-providers-docker", "apache-airflow-providers-cncf-kubernetes",
    # The redis provider's message-queue example needs it (MessageQueueTrigger).
    "apache-airflow-providers-common-messaging",
)  # fmt: skip

if __name__ == "__main__":  # the Makefile's `providers` step reads the list from here
    print(" ".join(MATRIX))
