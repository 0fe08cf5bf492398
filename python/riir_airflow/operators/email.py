"""Airflow's `airflow.operators.email`: not available in riir-airflow (see the message below).

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.import_paths import unavailable_module_error

raise unavailable_module_error("operators.email")
