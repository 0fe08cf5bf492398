from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
from airflow.sdk import DAG

# Triggers sc_trigger_target (another file, another app) and waits for it; a second run of this DAG triggers the
# same run id again with reset_dag_run=True, which clears and re-runs the target run.
with DAG("sc_trigger_controller", schedule=None, max_active_runs=1):
    TriggerDagRunOperator(
        task_id="trigger",
        trigger_dag_id="sc_trigger_target",
        trigger_run_id="from_controller",
        conf={"message": "{{ run_id }}"},
        wait_for_completion=True,
        poke_interval=1,
        reset_dag_run=True,
        allowed_states=["success"],
    )
