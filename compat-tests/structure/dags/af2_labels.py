"""Label from airflow.utils.edgemodifier, on << edges, lists and task groups."""

from airflow.models import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.edgemodifier import Label
from airflow.utils.task_group import TaskGroup

with DAG("af2_labels", schedule=None):
    ingest = EmptyOperator(task_id="ingest")
    analyse = EmptyOperator(task_id="analyse")
    check = EmptyOperator(task_id="check_integrity")
    describe = EmptyOperator(task_id="describe_integrity")
    error = EmptyOperator(task_id="email_error")
    save = EmptyOperator(task_id="save")
    report = EmptyOperator(task_id="report")

    ingest >> analyse >> check
    check >> Label("No errors") >> save >> report
    check >> Label("Errors found") >> describe >> error >> report
    with TaskGroup("archive") as archive:
        EmptyOperator(task_id="zip")
    report << Label("back-pointing") << analyse
    report >> Label("into a group") >> archive
