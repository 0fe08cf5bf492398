"""@task variants: branch, short_circuit, bash, sensor, plus override()."""

from airflow.sdk import DAG, PokeReturnValue, task

with DAG("af3_task_variants", schedule=None):

    @task.branch
    def pick() -> str:
        return "fast_path"

    @task.short_circuit
    def keep_going() -> bool:
        return True

    @task.bash
    def say(word: str) -> str:
        return f"echo {word}"

    @task.sensor(poke_interval=30, timeout=600, mode="reschedule")
    def wait_for_it() -> PokeReturnValue:
        return PokeReturnValue(is_done=True, xcom_value="ok")

    @task(task_id="fast_path")
    def fast():
        return 1

    @task
    def slow_path():
        return 2

    @task(multiple_outputs=True)
    def pair() -> dict:
        return {"x": 1, "y": 2}

    branch = pick()
    branch >> [fast(), slow_path()]
    gate = keep_going()
    gate >> say("hello") >> wait_for_it()
    again = say.override(task_id="say_again")("bye")
    gate >> again
    pair()
