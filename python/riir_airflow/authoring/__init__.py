"""The authoring API's real code: DAG, operators, task groups, mapping, params, assets, templating,
timetables. Airflow's import paths (riir_airflow.sdk, .models, ...) are thin re-exports of these modules."""
