"""The Param schema validator, re-exported for authoring code: it lives in `riir_airflow.json_schema` (no
dependencies) so that the broker, which never imports authoring code, validates a trigger's conf with the same code."""

from riir_airflow.json_schema import SchemaError, validate

__all__ = ["SchemaError", "validate"]
