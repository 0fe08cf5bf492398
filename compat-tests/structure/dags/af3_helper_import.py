"""Imports a helper module that sits next to this file."""

from airflow.sdk import DAG
from corpus_helpers import TEAM_DEFAULTS, bracket, fan_out

with DAG("af3_helper_import", schedule=None, default_args=TEAM_DEFAULTS, tags=["helpers"]):
    bracket(fan_out("shard", 4), "batch")
