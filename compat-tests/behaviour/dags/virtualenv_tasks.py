"""@task.virtualenv / PythonVirtualenvOperator / @task.external_python / branch variants: a real venv per try or
cached by requirements hash (the cache folder's name is returned, so Airflow's hash and riir's must agree), pickled
op_args/op_kwargs/templates_dict, context keys, string_args, skip_on_exit_code, a callable that raises."""

# compat-env: VENV_CACHE_DIR=/tmp/riir-behaviour-venv-cache

import datetime
import os

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.providers.standard.operators.python import PythonVirtualenvOperator
from airflow.sdk import DAG, task

CACHE = os.environ["VENV_CACHE_DIR"]
EXTERNAL = "/root/.pyenv/versions/3.11.7/bin/python3"


def classic(a, b, ds, templates_dict):
    return {"sum": a + b, "ds": ds, "args": virtualenv_string_args, "td": templates_dict}  # noqa: F821


with DAG("virtualenv_tasks", schedule=None, start_date=datetime.datetime(2024, 1, 1), catchup=False):

    @task
    def rows():
        return [[1, 2], [3, 4]]

    @task.virtualenv(requirements=["tabulate==0.9.0"], system_site_packages=False, venv_cache_path=CACHE)
    def table(data, ts_nodash=None):
        import sys

        import tabulate

        return {
            "version": tabulate.__version__,
            "table": tabulate.tabulate(data),
            "venv": sys.prefix.rsplit("/", 1)[-1],
            "ts": ts_nodash,
        }

    @task.external_python(python=EXTERNAL)
    def external(result):
        import sys

        return [result["version"], sys.version_info.major, tuple(virtualenv_string_args)]  # noqa: F821

    @task.virtualenv(skip_on_exit_code=3, system_site_packages=False, venv_cache_path=CACHE)
    def skipped():
        raise SystemExit(3)

    @task.virtualenv(system_site_packages=False, venv_cache_path=CACHE)
    def fails():
        raise ValueError("no good")

    @task.branch_virtualenv(system_site_packages=False, venv_cache_path=CACHE)
    def choose():
        return "right"

    made = table(rows())
    external(made)
    skipped()
    fails() >> EmptyOperator(task_id="after_fail", trigger_rule="all_done")
    choose() >> [EmptyOperator(task_id="left"), EmptyOperator(task_id="right")]
    PythonVirtualenvOperator(
        task_id="classic",
        python_callable=classic,
        op_args=[1, 2],
        op_kwargs={"ds": "{{ ds }}"},
        templates_dict={"when": "{{ ds_nodash }}"},
        string_args=["x", "y"],
        system_site_packages=False,
        venv_cache_path=CACHE,
    )
