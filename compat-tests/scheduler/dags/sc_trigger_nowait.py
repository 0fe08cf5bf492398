from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG

# Fire and forget, into a target that fails: the controller still succeeds; a failing target with
# wait_for_completion and failed_states=["failed"] fails the second controller task.
with DAG("sc_trigger_nowait", schedule=None):
    fire = TriggerDagRunOperator(
        task_id="fire", trigger_dag_id="sc_trigger_failing", trigger_run_id="nowait_{{ run_id }}"
    )
    watch = TriggerDagRunOperator(
        task_id="watch",
        trigger_dag_id="sc_trigger_failing",
        trigger_run_id="watched_{{ run_id }}",
        wait_for_completion=True,
        poke_interval=1,
        failed_states=["failed"],
    )
    fire >> watch
