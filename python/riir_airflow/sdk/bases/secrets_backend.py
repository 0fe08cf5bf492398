"""Airflow's `airflow.sdk.bases.secrets_backend`: re-exports only.

Generated from riir_airflow/_internal/import_paths.py; edit the table there, not this file.
"""

from riir_airflow._internal.secrets import BaseSecretsBackend as BaseSecretsBackend

__all__ = [
    "BaseSecretsBackend",
]
