"""Run by real Airflow's interpreter: writes Airflow's `create-default-connections` set as JSON (the data file
python/riir_airflow/metastore/default_connections.json is this output; regenerate it when Airflow's list changes)."""

import json
import sys

from airflow.utils.db import get_default_connections

FIELDS = ("conn_id", "conn_type", "description", "host", "schema", "login", "password", "port", "extra")
json.dump([{f: getattr(c, f) for f in FIELDS} for c in get_default_connections()], sys.stdout, indent=1)
sys.stdout.write("\n")
