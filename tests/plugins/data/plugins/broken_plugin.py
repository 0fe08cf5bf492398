"""A plugin file that raises on import: riir reports it, names the file, and loads everything else."""

from airflow.plugins_manager import AirflowPlugin

raise RuntimeError("the broken plugin cannot be imported")


class BrokenPlugin(AirflowPlugin):
    name = "broken_plugin"
