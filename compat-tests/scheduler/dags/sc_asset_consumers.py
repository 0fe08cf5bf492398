from airflow.sdk import DAG, Asset, AssetAlias, task

# (a1 & a2) | aliased: a1 alone does not trigger; a2 after it does; an event through the alias triggers again.
with DAG("sc_asset_condition", schedule=(Asset("sc://a1") & Asset("sc://a2")) | Asset("sc://aliased")):

    @task
    def consume(**context):
        events = context["triggering_asset_events"]
        return sorted(str(getattr(key, "uri", key)) for key in events)

    consume()

with DAG("sc_asset_alias_consumer", schedule=AssetAlias("sc-alias")):

    @task
    def consume_alias():
        return "alias run"

    consume_alias()
