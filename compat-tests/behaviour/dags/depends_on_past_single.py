"""depends_on_past / wait_for_downstream on the first (only) run: nothing earlier, so tasks run normally;
priority_weight, weight_rule, pool and max_active_tis_per_dag accepted and not changing outcomes."""

import datetime

from airflow.sdk import dag, task


@dag(schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False, max_active_tasks=1)
def depends_on_past_single():
    @task(depends_on_past=True, priority_weight=5, weight_rule="absolute")
    def first() -> int:
        return 1

    @task(wait_for_downstream=True, pool="default_pool", pool_slots=1, max_active_tis_per_dag=1)
    def second(x: int) -> int:
        return x + 1

    @task(weight_rule="upstream", max_active_tis_per_dagrun=1)
    def mapped(x: int) -> int:
        return x

    second(first())
    mapped.expand(x=[1, 2, 3])


depends_on_past_single()
