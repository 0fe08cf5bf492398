from airflow.sdk import DAG, task

# `flaky` fails its first try (no retries), `after` is upstream_failed, `fine` succeeds. Clearing with only_failed
# re-runs flaky and after, never fine.
with DAG("sc_clear_only_failed", schedule=None, default_args={"retries": 0}):

    @task
    def flaky(**context):
        if context["ti"].try_number == 1:
            raise RuntimeError("first try fails")
        return "ok"

    @task
    def after(x):
        return x + "!"

    @task
    def fine(**context):
        return context["ti"].try_number

    after(flaky())
    fine()
