"""set_upstream / set_downstream with single tasks and lists, mixed with << and >> on lists."""

from airflow.models import DAG
from airflow.operators.empty import EmptyOperator

with DAG("af2_set_relations", schedule=None, default_args={"owner": "rel"}) as dag:
    t = {name: EmptyOperator(task_id=name) for name in "abcdefgh"}
    t["a"].set_downstream(t["b"])
    t["c"].set_upstream(t["b"])
    t["d"].set_upstream([t["a"], t["c"]])
    t["e"].set_downstream([t["f"], t["g"]])
    [t["f"], t["g"]] >> t["h"]
    t["h"] << t["d"]
    t["a"] >> t["d"]  # an edge that already exists: must not duplicate anything
