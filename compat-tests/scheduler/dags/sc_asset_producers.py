from airflow.sdk import DAG, Asset, AssetAlias, task

# Producers of the asset scenarios, each triggered by the scenario in a set order.
with DAG("sc_produce_a1", schedule=None):

    @task(outlets=[Asset("sc://a1")])
    def emit_a1():
        return "a1"

    emit_a1()

with DAG("sc_produce_a2", schedule=None):

    @task(outlets=[Asset("sc://a2")])
    def emit_a2():
        return "a2"

    emit_a2()

with DAG("sc_produce_alias", schedule=None):

    @task(outlets=[AssetAlias("sc-alias")])
    def emit_through_alias(*, outlet_events):
        outlet_events[AssetAlias("sc-alias")].add(Asset("sc://aliased"), extra={"via": "alias"})
        return "aliased"

    emit_through_alias()
