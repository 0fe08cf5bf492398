"""The `riir-airflow` command line, mirroring `airflow`'s commands."""

from riir_airflow.cli.main import main

__all__ = ["main"]
