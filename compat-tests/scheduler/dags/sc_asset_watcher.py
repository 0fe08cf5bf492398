import os

from airflow.providers.standard.triggers.file import FileDeleteTrigger
from airflow.sdk import DAG, Asset, AssetWatcher, task

# The watcher's trigger fires when the scenario creates the flag file (and deletes it): one asset event, one run.
WATCHED = os.path.join(os.environ.get("SC_TRACE", "/tmp"), "watched.flag")

with DAG(
    "sc_asset_watcher",
    schedule=[
        Asset(
            "sc://watched",
            watchers=[
                AssetWatcher(name="sc_flag_watcher", trigger=FileDeleteTrigger(filepath=WATCHED, poke_interval=1))
            ],
        )
    ],
):

    @task
    def on_file():
        return "file seen"

    on_file()
