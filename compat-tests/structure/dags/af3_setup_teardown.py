"""Setup and teardown tasks: decorators, as_setup/as_teardown, context-manager scoping."""

from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, setup, task, teardown

with DAG("af3_setup_teardown", schedule=None):

    @setup
    def create_cluster():
        return "cluster-1"

    @teardown
    def delete_cluster(name):
        print(name)

    @task
    def run_job(name):
        return name

    cluster = create_cluster()
    job = run_job(cluster)
    job >> delete_cluster(cluster)

    make_bucket = BashOperator(task_id="make_bucket", bash_command="echo mk")
    drop_bucket = BashOperator(task_id="drop_bucket", bash_command="echo rm")
    use_bucket = EmptyOperator(task_id="use_bucket")
    make_bucket >> use_bucket >> drop_bucket.as_teardown(setups=make_bucket)

    @teardown(on_failure_fail_dagrun=True)
    def final_cleanup():
        return None

    with create_cluster.override(task_id="scoped_setup")() >> final_cleanup():
        EmptyOperator(task_id="scoped_work")

    s2 = EmptyOperator(task_id="as_setup_op").as_setup()
    t2 = EmptyOperator(task_id="as_teardown_op")
    w2 = EmptyOperator(task_id="between")
    s2 >> w2 >> t2.as_teardown(setups=s2)
