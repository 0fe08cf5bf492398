"""The package version. It must equal the Cargo workspace version, which `_core` is built with."""

__version__ = "0.1.0"

# The Apache Airflow release whose interface riir_airflow mirrors. `airflow.__version__` and
# `airflow.version.version` report it through the compat alias, so providers' `version_compat` checks take their
# Airflow 3 code paths; riir's own version is `__version__` above (and `riir-airflow version`).
AIRFLOW_VERSION = "3.3.2"
# The apache-airflow-task-sdk release that shipped with it (`airflow.sdk.__version__`).
TASK_SDK_VERSION = "1.3.2"
