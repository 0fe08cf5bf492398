"""Airflow's `airflow.sdk.bases.secrets_backend`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.secrets_backends import BaseSecretsBackend as BaseSecretsBackend

__all__ = [
    "BaseSecretsBackend",
]
