"""@asset functions: each becomes a one-task DAG that materialises the asset; a consumer DAG schedules on them."""

from airflow.sdk import DAG, asset, task


@asset(schedule="@daily", uri="s3://lake/raw_orders.json", tags=["asset_decorator"])
def raw_orders():
    return {"n": 1}


@asset(schedule=raw_orders)
def clean_orders(raw_orders):
    return raw_orders


with DAG("af3_asset_decorator_consumer", schedule=[raw_orders, clean_orders]):

    @task(inlets=[clean_orders])
    def read():
        return None

    read()
