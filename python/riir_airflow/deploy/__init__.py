"""Deploying DAGs: checks of DAG files against the Helm chart's values (`riir-airflow dags validate`)."""
