"""Provider-style operators: BaseOperator subclasses with template_fields / template_ext, a custom sensor and hook."""

from collections.abc import Sequence

from airflow.sdk import DAG, BaseHook, BaseOperator, BaseSensorOperator


class WarehouseHook(BaseHook):
    conn_name_attr = "warehouse_conn_id"
    default_conn_name = "warehouse_default"
    conn_type = "warehouse"
    hook_name = "Warehouse"

    def __init__(self, warehouse_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.warehouse_conn_id = warehouse_conn_id

    def get_conn(self):
        return self.get_connection(self.warehouse_conn_id)


class RunQueryOperator(BaseOperator):
    template_fields: Sequence[str] = ("sql", "target_table")
    template_ext: Sequence[str] = (".sql",)
    template_fields_renderers = {"sql": "sql"}
    ui_color = "#ededed"

    def __init__(self, *, sql: str, target_table: str, conn_id: str = "warehouse_default", **kwargs) -> None:
        super().__init__(**kwargs)
        self.sql = sql
        self.target_table = target_table
        self.conn_id = conn_id

    def execute(self, context):
        WarehouseHook(self.conn_id).get_conn()
        return self.target_table


class CopyOperator(RunQueryOperator):
    """Subclass of a subclass: inherits template fields and adds one."""

    template_fields: Sequence[str] = (*RunQueryOperator.template_fields, "source")

    def __init__(self, *, source: str, **kwargs) -> None:
        super().__init__(sql="select 1", **kwargs)
        self.source = source


class RowCountSensor(BaseSensorOperator):
    template_fields = ("table",)

    def __init__(self, *, table: str, minimum: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.table = table
        self.minimum = minimum

    def poke(self, context) -> bool:
        return True


with DAG("af3_custom_operator", schedule=None, tags=["custom"]):
    wait = RowCountSensor(task_id="wait_rows", table="raw.events", poke_interval=10, mode="reschedule")
    query = RunQueryOperator(task_id="query", sql="select * from {{ params.t }}", target_table="out_{{ ds_nodash }}")
    copy = CopyOperator(task_id="copy", source="s3://x", target_table="copy_target", retries=4)
    wait >> query >> copy
    mapped = RunQueryOperator.partial(task_id="mapped_query", target_table="t").expand(sql=["select 1", "select 2"])
    copy >> mapped
