"""Airflow plugins: `AirflowPlugin` subclasses found in `[core] plugins_folder` and in the `airflow.plugins` entry
point group (manager.py), and the listener hooks they register (listeners.py). Loaded by the processes that run
DAG code (`dags test`, DAG apps, task processes); the broker never imports them and shows what apps published.
`listener_calls.notify` is what the engine and the runtime call: it loads pluggy only when someone listens."""
