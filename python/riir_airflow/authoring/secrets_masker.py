"""The authoring-side names of the secrets masker (`airflow.sdk.log.mask_secret` / `redact`): the one masker of
the process lives in `riir_airflow.secrets_masker` (Airflow's rules and names)."""

from __future__ import annotations

from riir_airflow.secrets_masker import mask_secret, redact, should_hide_value_for_key

__all__ = ["mask_secret", "redact", "should_hide_value_for_key"]
