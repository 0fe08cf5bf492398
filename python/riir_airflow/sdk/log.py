"""Airflow's `airflow.sdk.log`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.secrets_masker import mask_secret as mask_secret
from riir_airflow.authoring.secrets_masker import redact as redact

__all__ = [
    "mask_secret",
    "redact",
]
