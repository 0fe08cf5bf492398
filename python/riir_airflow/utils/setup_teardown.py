"""Airflow's `airflow.utils.setup_teardown`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.setup_teardown import SetupTeardownScope as BaseSetupTeardownContext
from riir_airflow.authoring.setup_teardown import SetupTeardownScope as SetupTeardownContext

__all__ = [
    "BaseSetupTeardownContext",
    "SetupTeardownContext",
]
