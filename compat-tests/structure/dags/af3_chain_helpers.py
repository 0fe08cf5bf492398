"""chain, cross_downstream and chain_linear from airflow.sdk."""

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, chain, chain_linear, cross_downstream

with DAG("af3_chain_helpers", schedule=None):
    a, b, c, d, e, f = (EmptyOperator(task_id=f"t_{x}") for x in "abcdef")
    chain(a, [b, c], [d, e], f)

    x1, x2, y1, y2, y3 = (EmptyOperator(task_id=name) for name in ("x1", "x2", "y1", "y2", "y3"))
    cross_downstream([x1, x2], [y1, y2, y3])

    p = [EmptyOperator(task_id=f"p{i}") for i in range(3)]
    q = [EmptyOperator(task_id=f"q{i}") for i in range(2)]
    r = EmptyOperator(task_id="r")
    chain_linear(p, q, r)
