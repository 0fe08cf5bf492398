"""Airflow's `airflow.utils.helpers`: re-exports only.

Generated from riir_airflow/import_paths.py; edit the table there, not this file.
"""

from riir_airflow.authoring.airflow_utils import as_flattened_list as as_flattened_list
from riir_airflow.authoring.airflow_utils import at_most_one as at_most_one
from riir_airflow.authoring.airflow_utils import chunks as chunks
from riir_airflow.authoring.airflow_utils import convert_camel_to_snake as convert_camel_to_snake
from riir_airflow.authoring.airflow_utils import exactly_one as exactly_one
from riir_airflow.authoring.airflow_utils import is_container as is_container
from riir_airflow.authoring.airflow_utils import merge_dicts as merge_dicts
from riir_airflow.authoring.airflow_utils import partition as partition
from riir_airflow.authoring.airflow_utils import prune_dict as prune_dict
from riir_airflow.authoring.airflow_utils import validate_key as validate_key

__all__ = [
    "as_flattened_list",
    "at_most_one",
    "chunks",
    "convert_camel_to_snake",
    "exactly_one",
    "is_container",
    "merge_dicts",
    "partition",
    "prune_dict",
    "validate_key",
]
