"""Mapped task group through airflow.decorators, with partial() and a downstream reducer."""

from airflow.decorators import dag, task, task_group


@dag(schedule=None)
def af2_mapped_task_group():
    @task
    def regions():
        return ["eu", "us"]

    @task
    def download(region, version):
        return f"{region}-{version}"

    @task
    def parse(blob):
        return len(blob)

    @task_group(group_id="per_region")
    def per_region(region, version):
        return parse(download(region, version))

    @task
    def report(lengths):
        return sum(lengths)

    report(per_region.partial(version="v2").expand(region=regions()))


af2_mapped_task_group()
