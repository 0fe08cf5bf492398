"""Assets: producers with outlets, consumers scheduled on assets and asset conditions, aliases, inlets."""

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset, AssetAlias, task

orders = Asset("s3://bucket/orders.parquet")
customers = Asset(name="customers", uri="s3://bucket/customers.parquet", group="crm")
events = Asset("events_table")
alias = AssetAlias("daily_exports")

with DAG("af3_assets_producer", schedule="@daily", tags=["assets"]):
    BashOperator(task_id="write_orders", bash_command="echo orders", outlets=[orders])

    @task(outlets=[customers, events])
    def write_customers():
        return None

    @task(outlets=[alias])
    def write_via_alias():
        return None

    write_customers() >> write_via_alias()

with DAG("af3_assets_consumer_list", schedule=[orders, customers]):
    BashOperator(task_id="read_both", bash_command="echo both", inlets=[orders, customers])

with DAG("af3_assets_consumer_and_or", schedule=(orders & customers) | events):
    BashOperator(task_id="read_expr", bash_command="echo expr")

with DAG("af3_assets_consumer_alias", schedule=alias):
    BashOperator(task_id="read_alias", bash_command="echo alias", inlets=[alias])

with DAG("af3_assets_consumer_single", schedule=events):
    BashOperator(task_id="read_single", bash_command="echo single")
