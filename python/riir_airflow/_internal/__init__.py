"""The real authoring and runtime code. Public import paths (riir_airflow.sdk, riir_airflow.models, ...) re-export
names from here; nothing outside this package should need to know which module defines what."""
