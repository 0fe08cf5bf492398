"""`python -m riir_airflow ...` is the `riir-airflow` command."""

import sys

from riir_airflow.cli import main

sys.exit(main())
