"""The run engine: the one place that decides the life of a DAG run and of a task try (see vocabulary.py and
messages.py)."""
