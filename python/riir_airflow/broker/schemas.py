"""Request and response models of Airflow 3.3's REST API v2, generated from its OpenAPI spec by
compat-tests/api/gen_schemas.py (field names, types, required fields, defaults and limits). Do not edit."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class HTTPExceptionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    detail: str | dict[str, Any]


class FastAPIAppResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    app: str
    url_prefix: str
    name: str


class FastAPIRootMiddlewareResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    middleware: str
    name: str


class ExternalViewResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    icon: str | None = Field(default=None)
    icon_dark_mode: str | None = Field(default=None)
    url_route: str | None = Field(default=None)
    category: str | None = Field(default=None)
    nav_top_level: bool | None = Field(default=False)
    href: str
    destination: Literal["nav", "dag", "dag_run", "task", "task_instance", "base"] = Field(default="nav")


class ReactAppResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    icon: str | None = Field(default=None)
    icon_dark_mode: str | None = Field(default=None)
    url_route: str | None = Field(default=None)
    category: str | None = Field(default=None)
    nav_top_level: bool | None = Field(default=False)
    bundle_url: str
    destination: Literal["nav", "dag", "dag_run", "task", "task_instance", "base", "dashboard"] = Field(default="nav")


class AppBuilderViewResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str | None = Field(default=None)
    category: str | None = Field(default=None)
    view: str | None = Field(default=None)
    label: str | None = Field(default=None)


class AppBuilderMenuItemResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    href: str
    category: str | None = Field(default=None)


class PluginResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    macros: list[str]
    flask_blueprints: list[str]
    fastapi_apps: list[FastAPIAppResponse]
    fastapi_root_middlewares: list[FastAPIRootMiddlewareResponse]
    external_views: list[ExternalViewResponse]
    react_apps: list[ReactAppResponse]
    appbuilder_views: list[AppBuilderViewResponse]
    appbuilder_menu_items: list[AppBuilderMenuItemResponse]
    global_operator_extra_links: list[str]
    operator_extra_links: list[str]
    source: str
    listeners: list[str]
    timetables: list[str]


class PluginCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    plugins: list[PluginResponse]
    total_entries: int


class PluginImportErrorResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    source: str
    error: str


class PluginImportErrorCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    import_errors: list[PluginImportErrorResponse]
    total_entries: int


class ValidationError(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    loc: list[str | int]
    msg: str
    type: str
    input: Any = Field(default=None)
    ctx: dict[str, Any] | None = Field(default=None)


class HTTPValidationError(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    detail: list[ValidationError] | None = Field(default=None)


class DagTagResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    dag_id: str
    dag_display_name: str


DagRunType = Literal[
    "backfill", "scheduled", "manual", "operator_triggered", "asset_triggered", "asset_materialization"
]


class DAGResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool
    last_parsed_time: datetime.datetime | None
    last_parse_duration: float | None
    last_expired: datetime.datetime | None
    bundle_name: str | None
    bundle_version: str | None
    relative_fileloc: str | None
    fileloc: str
    description: str | None
    timetable_summary: str | None
    timetable_description: str | None
    timetable_partitioned: bool
    timetable_periodic: bool
    tags: list[DagTagResponse]
    max_active_tasks: int
    max_active_runs: int | None
    max_consecutive_failed_dag_runs: int
    has_task_concurrency_limits: bool
    has_import_errors: bool
    next_dagrun_logical_date: datetime.datetime | None
    next_dagrun_data_interval_start: datetime.datetime | None
    next_dagrun_data_interval_end: datetime.datetime | None
    next_dagrun_run_after: datetime.datetime | None
    allowed_run_types: list[DagRunType] | None
    owners: list[str]
    is_backfillable: bool
    file_token: str


class DAGCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dags: list[DAGResponse]
    total_entries: int


class DagVersionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: uuid.UUID
    version_number: int
    dag_id: str
    bundle_name: str | None
    bundle_version: str | None
    created_at: datetime.datetime
    dag_display_name: str
    bundle_url: str | None


class DAGDetailsResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_id: str
    dag_display_name: str
    is_paused: bool
    is_stale: bool
    last_parsed_time: datetime.datetime | None
    last_parse_duration: float | None
    last_expired: datetime.datetime | None
    bundle_name: str | None
    bundle_version: str | None
    relative_fileloc: str | None
    fileloc: str
    description: str | None
    timetable_summary: str | None
    timetable_description: str | None
    timetable_partitioned: bool
    timetable_periodic: bool
    tags: list[DagTagResponse]
    max_active_tasks: int
    max_active_runs: int | None
    max_consecutive_failed_dag_runs: int
    has_task_concurrency_limits: bool
    has_import_errors: bool
    next_dagrun_logical_date: datetime.datetime | None
    next_dagrun_data_interval_start: datetime.datetime | None
    next_dagrun_data_interval_end: datetime.datetime | None
    next_dagrun_run_after: datetime.datetime | None
    allowed_run_types: list[DagRunType] | None
    owners: list[str]
    catchup: bool
    dag_run_timeout: datetime.timedelta | None
    asset_expression: dict[str, Any] | None
    doc_md: str | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    is_paused_upon_creation: bool | None
    params: dict[str, Any] | None
    render_template_as_native_obj: bool
    template_search_path: list[str] | None
    timezone: str | None
    last_parsed: datetime.datetime | None
    default_args: dict[str, Any] | None
    rerun_with_latest_version: bool | None = Field(default=None)
    owner_links: dict[str, str] | None = Field(default=None)
    is_favorite: bool = Field(default=False)
    active_runs_count: int = Field(default=0)
    is_backfillable: bool
    file_token: str
    concurrency: int
    latest_dag_version: DagVersionResponse | None


class DAGPatchBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    is_paused: bool


class DAGVersionCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_versions: list[DagVersionResponse]
    total_entries: int


DagRunState = Literal["queued", "running", "success", "failed"]


DagRunTriggeredByType = Literal["cli", "operator", "rest_api", "ui", "test", "timetable", "asset", "backfill"]


class DAGRunResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_run_id: str
    dag_id: str
    logical_date: datetime.datetime | None
    queued_at: datetime.datetime | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    duration: float | None
    data_interval_start: datetime.datetime | None
    data_interval_end: datetime.datetime | None
    run_after: datetime.datetime
    last_scheduling_decision: datetime.datetime | None
    run_type: DagRunType
    state: DagRunState
    triggered_by: DagRunTriggeredByType | None
    triggering_user_name: str | None
    conf: dict[str, Any] | None
    note: str | None
    dag_versions: list[DagVersionResponse]
    bundle_version: str | None
    dag_display_name: str
    partition_key: str | None
    partition_date: datetime.datetime | None


class DAGRunCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_runs: list[DAGRunResponse]
    total_entries: int | None = Field(default=None)
    total_entries_limit: int | None = Field(default=None)
    next_cursor: str | None = Field(default=None)
    previous_cursor: str | None = Field(default=None)


class TriggerDAGRunPostBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_run_id: str | None = Field(default=None)
    data_interval_start: datetime.datetime | None = Field(default=None)
    data_interval_end: datetime.datetime | None = Field(default=None)
    logical_date: datetime.datetime | None
    run_after: datetime.datetime | None = Field(default=None)
    conf: dict[str, Any] | None = Field(default=None)
    note: str | None = Field(default=None)
    partition_key: str | None = Field(default=None)


DagRunMutableStates = Literal["queued", "success", "failed"]


class DAGRunPatchBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    state: DagRunMutableStates | None = Field(default=None)
    note: str | None = Field(default=None)


class DAGRunClearBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dry_run: bool = Field(default=True)
    only_failed: bool = Field(default=False)
    only_new: bool = Field(default=False)
    run_on_latest_version: bool | None = Field(default=None)
    note: str | None = Field(default=None)


class DAGRunsBatchBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    order_by: str | None = Field(default=None)
    page_offset: int = Field(default=0, ge=0.0)
    page_limit: int = Field(default=100, ge=0.0)
    dag_ids: list[str] | None = Field(default=None)
    states: list[DagRunState | None] | None = Field(default=None)
    run_after_gte: datetime.datetime | None = Field(default=None)
    run_after_gt: datetime.datetime | None = Field(default=None)
    run_after_lte: datetime.datetime | None = Field(default=None)
    run_after_lt: datetime.datetime | None = Field(default=None)
    logical_date_gte: datetime.datetime | None = Field(default=None)
    logical_date_gt: datetime.datetime | None = Field(default=None)
    logical_date_lte: datetime.datetime | None = Field(default=None)
    logical_date_lt: datetime.datetime | None = Field(default=None)
    start_date_gte: datetime.datetime | None = Field(default=None)
    start_date_gt: datetime.datetime | None = Field(default=None)
    start_date_lte: datetime.datetime | None = Field(default=None)
    start_date_lt: datetime.datetime | None = Field(default=None)
    end_date_gte: datetime.datetime | None = Field(default=None)
    end_date_gt: datetime.datetime | None = Field(default=None)
    end_date_lte: datetime.datetime | None = Field(default=None)
    end_date_lt: datetime.datetime | None = Field(default=None)
    duration_gte: float | None = Field(default=None)
    duration_gt: float | None = Field(default=None)
    duration_lte: float | None = Field(default=None)
    duration_lt: float | None = Field(default=None)
    conf_contains: str | None = Field(default=None)


TaskInstanceState = Literal[
    "removed",
    "scheduled",
    "queued",
    "running",
    "success",
    "restarting",
    "failed",
    "up_for_retry",
    "up_for_reschedule",
    "upstream_failed",
    "skipped",
    "deferred",
    "awaiting_input",
]


class TriggerResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int
    classpath: str
    kwargs: str
    created_date: datetime.datetime
    queue: str | None
    triggerer_id: int | None


class JobResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int
    dag_id: str | None
    state: str | None
    job_type: str | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    latest_heartbeat: datetime.datetime | None
    executor_class: str | None
    hostname: str | None
    unixname: str | None
    dag_display_name: str | None = Field(default=None)


class TaskInstanceResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: uuid.UUID
    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    logical_date: datetime.datetime | None
    run_after: datetime.datetime
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    duration: float | None
    state: TaskInstanceState | None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None
    unixname: str | None
    pool: str
    pool_slots: int
    queue: str | None
    priority_weight: int | None
    operator: str | None
    operator_name: str | None
    queued_when: datetime.datetime | None
    scheduled_when: datetime.datetime | None
    pid: int | None
    executor: str | None
    executor_config: str
    note: str | None
    rendered_map_index: str | None
    rendered_fields: dict[str, Any] | None = Field(default=None)
    trigger: TriggerResponse | None
    triggerer_job: JobResponse | None
    dag_version: DagVersionResponse | None


class TaskInstanceCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_instances: list[TaskInstanceResponse]
    total_entries: int | None = Field(default=None)
    total_entries_limit: int | None = Field(default=None)
    next_cursor: str | None = Field(default=None)
    previous_cursor: str | None = Field(default=None)


class TaskInstanceHistoryResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_id: str
    dag_id: str
    dag_run_id: str
    map_index: int
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    duration: float | None
    state: TaskInstanceState | None
    try_number: int
    max_tries: int
    task_display_name: str
    dag_display_name: str
    hostname: str | None
    unixname: str | None
    pool: str
    pool_slots: int
    queue: str | None
    priority_weight: int | None
    operator: str | None
    operator_name: str | None
    queued_when: datetime.datetime | None
    scheduled_when: datetime.datetime | None
    pid: int | None
    executor: str | None
    executor_config: str
    dag_version: DagVersionResponse | None


class TaskInstanceHistoryCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_instances: list[TaskInstanceHistoryResponse]
    total_entries: int


class PatchTaskInstanceBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    new_state: TaskInstanceState | None = Field(default=None)
    note: str | None = Field(default=None)
    include_upstream: bool = Field(default=False)
    include_downstream: bool = Field(default=False)
    include_future: bool = Field(default=False)
    include_past: bool = Field(default=False)


class ClearTaskInstancesBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dry_run: bool = Field(default=True)
    start_date: datetime.datetime | None = Field(default=None)
    end_date: datetime.datetime | None = Field(default=None)
    only_failed: bool = Field(default=True)
    only_running: bool = Field(default=False)
    reset_dag_runs: bool = Field(default=True)
    task_ids: list[str | list[Any]] | None = Field(default=None)
    dag_run_id: str | None = Field(default=None)
    include_upstream: bool = Field(default=False)
    include_downstream: bool = Field(default=False)
    include_future: bool = Field(default=False)
    include_past: bool = Field(default=False)
    run_on_latest_version: bool | None = Field(default=None)
    prevent_running_task: bool = Field(default=False)
    note: str | None = Field(default=None)


class TaskInstancesBatchBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_ids: list[str] | None = Field(default=None)
    dag_run_ids: list[str] | None = Field(default=None)
    task_ids: list[str] | None = Field(default=None)
    state: list[TaskInstanceState | None] | None = Field(default=None)
    run_after_gte: datetime.datetime | None = Field(default=None)
    run_after_gt: datetime.datetime | None = Field(default=None)
    run_after_lte: datetime.datetime | None = Field(default=None)
    run_after_lt: datetime.datetime | None = Field(default=None)
    logical_date_gte: datetime.datetime | None = Field(default=None)
    logical_date_gt: datetime.datetime | None = Field(default=None)
    logical_date_lte: datetime.datetime | None = Field(default=None)
    logical_date_lt: datetime.datetime | None = Field(default=None)
    start_date_gte: datetime.datetime | None = Field(default=None)
    start_date_gt: datetime.datetime | None = Field(default=None)
    start_date_lte: datetime.datetime | None = Field(default=None)
    start_date_lt: datetime.datetime | None = Field(default=None)
    end_date_gte: datetime.datetime | None = Field(default=None)
    end_date_gt: datetime.datetime | None = Field(default=None)
    end_date_lte: datetime.datetime | None = Field(default=None)
    end_date_lt: datetime.datetime | None = Field(default=None)
    duration_gte: float | None = Field(default=None)
    duration_gt: float | None = Field(default=None)
    duration_lte: float | None = Field(default=None)
    duration_lt: float | None = Field(default=None)
    pool: list[str] | None = Field(default=None)
    queue: list[str] | None = Field(default=None)
    executor: list[str] | None = Field(default=None)
    page_offset: int = Field(default=0, ge=0.0)
    page_limit: int = Field(default=100, ge=0.0)
    order_by: str | None = Field(default=None)


class StructuredLogMessage(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    timestamp: datetime.datetime | None = Field(default=None)
    event: str


class TaskInstancesLogResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    content: list[StructuredLogMessage] | list[str]
    continuation_token: str | None


class XComResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    key: str
    timestamp: datetime.datetime
    logical_date: datetime.datetime | None
    map_index: int
    task_id: str
    dag_id: str
    run_id: str
    dag_display_name: str
    task_display_name: str
    run_after: datetime.datetime


class XComCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    xcom_entries: list[XComResponse]
    total_entries: int


class XComResponseNative(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    key: str
    timestamp: datetime.datetime
    logical_date: datetime.datetime | None
    map_index: int
    task_id: str
    dag_id: str
    run_id: str
    dag_display_name: str
    task_display_name: str
    run_after: datetime.datetime
    value: Any


class XComCreateBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    key: str
    value: Any
    map_index: int = Field(default=-1)


class XComUpdateBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    value: Any
    map_index: int = Field(default=-1)


class VariableResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    key: str
    value: str | None = Field(default=None)
    description: str | None
    is_encrypted: bool
    team_name: str | None


class VariableCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    variables: list[VariableResponse]
    total_entries: int


class VariableBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    key: str = Field(max_length=250)
    value: Any
    description: str | None = Field(default=None)
    team_name: str | None = Field(default=None)


BulkActionOnExistence = Literal["fail", "skip", "overwrite"]


class BulkCreateAction_VariableBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["create"]
    entities: list[VariableBody]
    action_on_existence: BulkActionOnExistence = Field(default="fail")


BulkActionNotOnExistence = Literal["fail", "skip"]


class BulkUpdateAction_VariableBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["update"]
    entities: list[VariableBody]
    update_mask: list[str] | None = Field(default=None)
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkDeleteAction_VariableBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["delete"]
    entities: list[str | VariableBody]
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkBody_VariableBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    actions: list[
        Annotated[
            BulkCreateAction_VariableBody_ | BulkUpdateAction_VariableBody_ | BulkDeleteAction_VariableBody_,
            Field(discriminator="action"),
        ]
    ]


class BulkActionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    success: list[str] = Field(default_factory=lambda: [])
    errors: list[dict[str, Any]] = Field(default_factory=lambda: [])


class BulkResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    create: BulkActionResponse | None = Field(default=None)
    update: BulkActionResponse | None = Field(default=None)
    delete: BulkActionResponse | None = Field(default=None)


class ConnectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    connection_id: str
    conn_type: str
    description: str | None
    host: str | None
    login: str | None
    schema_: str | None = Field(alias="schema")
    port: int | None
    password: str | None
    extra: str | None
    team_name: str | None


class ConnectionCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    connections: list[ConnectionResponse]
    total_entries: int


class ConnectionBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    connection_id: str = Field(max_length=200)
    conn_type: str
    description: str | None = Field(default=None)
    host: str | None = Field(default=None)
    login: str | None = Field(default=None)
    schema_: str | None = Field(default=None, alias="schema")
    port: int | None = Field(default=None)
    password: str | None = Field(default=None)
    extra: str | None = Field(default=None)
    team_name: str | None = Field(default=None)


class BulkCreateAction_ConnectionBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["create"]
    entities: list[ConnectionBody]
    action_on_existence: BulkActionOnExistence = Field(default="fail")


class BulkUpdateAction_ConnectionBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["update"]
    entities: list[ConnectionBody]
    update_mask: list[str] | None = Field(default=None)
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkDeleteAction_ConnectionBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["delete"]
    entities: list[str | ConnectionBody]
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkBody_ConnectionBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    actions: list[
        Annotated[
            BulkCreateAction_ConnectionBody_ | BulkUpdateAction_ConnectionBody_ | BulkDeleteAction_ConnectionBody_,
            Field(discriminator="action"),
        ]
    ]


class ConnectionTestResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    status: bool
    message: str


class PoolResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    slots: int = Field(ge=-1.0)
    description: str | None = Field(default=None)
    include_deferred: bool
    occupied_slots: int
    running_slots: int
    queued_slots: int
    scheduled_slots: int
    open_slots: int
    deferred_slots: int
    team_name: str | None


class PoolCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    pools: list[PoolResponse]
    total_entries: int


class PoolBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    name: str = Field(max_length=256)
    slots: int = Field(ge=-1.0)
    description: str | None = Field(default=None)
    include_deferred: bool = Field(default=False)
    team_name: str | None = Field(default=None)


class PoolPatchBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    pool: str | None = Field(default=None)
    slots: int | None = Field(default=None)
    description: str | None = Field(default=None)
    include_deferred: bool | None = Field(default=None)
    team_name: str | None = Field(default=None)


class BulkCreateAction_PoolBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["create"]
    entities: list[PoolBody]
    action_on_existence: BulkActionOnExistence = Field(default="fail")


class BulkUpdateAction_PoolBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["update"]
    entities: list[PoolBody]
    update_mask: list[str] | None = Field(default=None)
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkDeleteAction_PoolBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["delete"]
    entities: list[str | PoolBody]
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkBody_PoolBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    actions: list[
        Annotated[
            BulkCreateAction_PoolBody_ | BulkUpdateAction_PoolBody_ | BulkDeleteAction_PoolBody_,
            Field(discriminator="action"),
        ]
    ]


class BulkTaskInstanceBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    new_state: TaskInstanceState | None = Field(default=None)
    note: str | None = Field(default=None)
    include_upstream: bool = Field(default=False)
    include_downstream: bool = Field(default=False)
    include_future: bool = Field(default=False)
    include_past: bool = Field(default=False)
    task_id: str
    map_index: int | None = Field(default=None)
    dag_id: str | None = Field(default=None)
    dag_run_id: str | None = Field(default=None)


class BulkCreateAction_BulkTaskInstanceBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["create"]
    entities: list[BulkTaskInstanceBody]
    action_on_existence: BulkActionOnExistence = Field(default="fail")


class BulkUpdateAction_BulkTaskInstanceBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["update"]
    entities: list[BulkTaskInstanceBody]
    update_mask: list[str] | None = Field(default=None)
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkDeleteAction_BulkTaskInstanceBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["delete"]
    entities: list[str | BulkTaskInstanceBody]
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkBody_BulkTaskInstanceBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    actions: list[
        Annotated[
            BulkCreateAction_BulkTaskInstanceBody_
            | BulkUpdateAction_BulkTaskInstanceBody_
            | BulkDeleteAction_BulkTaskInstanceBody_,
            Field(discriminator="action"),
        ]
    ]


class DagScheduleAssetReference(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TaskOutletAssetReference(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_id: str
    task_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class TaskInletAssetReference(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_id: str
    task_id: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


class AssetAliasResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int
    name: str
    group: str


class AssetWatcherResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    trigger_id: int
    created_date: datetime.datetime


class LastAssetEventResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int | None = Field(default=None)
    timestamp: datetime.datetime | None = Field(default=None)


class AssetResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int
    name: str
    uri: str
    group: str
    extra: dict[str, Any] | None = Field(default=None)
    created_at: datetime.datetime
    updated_at: datetime.datetime
    scheduled_dags: list[DagScheduleAssetReference]
    producing_tasks: list[TaskOutletAssetReference]
    consuming_tasks: list[TaskInletAssetReference]
    aliases: list[AssetAliasResponse]
    watchers: list[AssetWatcherResponse]
    last_asset_event: LastAssetEventResponse | None = Field(default=None)


class AssetCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    assets: list[AssetResponse]
    total_entries: int


class DagRunAssetReference(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    run_id: str
    dag_id: str
    logical_date: datetime.datetime | None
    start_date: datetime.datetime
    end_date: datetime.datetime | None
    state: str
    data_interval_start: datetime.datetime | None
    data_interval_end: datetime.datetime | None
    partition_key: str | None
    triggering: bool


class AssetEventResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int
    asset_id: int
    uri: str | None = Field(default=None)
    name: str | None = Field(default=None)
    group: str | None = Field(default=None)
    extra: dict[str, Any] | None = Field(default=None)
    source_task_id: str | None = Field(default=None)
    source_dag_id: str | None = Field(default=None)
    source_run_id: str | None = Field(default=None)
    source_map_index: int
    created_dagruns: list[DagRunAssetReference]
    timestamp: datetime.datetime
    partition_key: str | None = Field(default=None)


class AssetEventCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    asset_events: list[AssetEventResponse]
    total_entries: int


class AssetEventAccessControl(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    consumer_teams: list[str] | None = Field(default=None)
    allow_global: bool = Field(default=True)


class CreateAssetEventsBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    asset_id: int
    partition_key: str | None = Field(default=None)
    extra: dict[str, Any] | None = Field(default=None)
    access_control: AssetEventAccessControl | None = Field(default=None)


ReprocessBehavior = Literal["failed", "completed", "none"]


class BackfillPostBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_id: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    run_backwards: bool = Field(default=False)
    dag_run_conf: dict[str, Any] | None = Field(default=None)
    reprocess_behavior: ReprocessBehavior = Field(default="none")
    max_active_runs: int = Field(default=10)
    run_on_latest_version: bool | None = Field(default=None)


class BackfillResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    id: int = Field(ge=0.0)
    dag_id: str
    from_date: datetime.datetime
    to_date: datetime.datetime
    dag_run_conf: dict[str, Any] | None
    is_paused: bool
    reprocess_behavior: ReprocessBehavior
    max_active_runs: int
    created_at: datetime.datetime
    completed_at: datetime.datetime | None
    updated_at: datetime.datetime
    dag_display_name: str


class BackfillCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    backfills: list[BackfillResponse]
    total_entries: int


class DryRunBackfillResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    logical_date: datetime.datetime | None
    partition_key: str | None
    partition_date: datetime.datetime | None


class DryRunBackfillCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    backfills: list[DryRunBackfillResponse]
    total_entries: int


class ImportErrorResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    import_error_id: int
    timestamp: datetime.datetime
    filename: str
    bundle_name: str | None
    stack_trace: str


class ImportErrorCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    import_errors: list[ImportErrorResponse]
    total_entries: int


class EventLogResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    event_log_id: int
    when: datetime.datetime
    dag_id: str | None
    task_id: str | None
    run_id: str | None
    map_index: int | None
    try_number: int | None
    event: str
    logical_date: datetime.datetime | None
    owner: str | None
    extra: str | None
    dag_display_name: str | None = Field(default=None)
    task_display_name: str | None = Field(default=None)


class EventLogCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    event_logs: list[EventLogResponse]
    total_entries: int


class ConfigOption(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    key: str
    value: str | list[Any]


class ConfigSection(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    name: str
    options: list[ConfigOption]


class Config(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    sections: list[ConfigSection]


class VersionInfo(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    version: str
    git_version: str | None


class BaseInfoResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    status: str | None


class SchedulerInfoResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    status: str | None
    latest_scheduler_heartbeat: str | None


class TriggererInfoResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    status: str | None
    latest_triggerer_heartbeat: str | None


class DagProcessorInfoResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    status: str | None
    latest_dag_processor_heartbeat: str | None


class HealthInfoResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    metadatabase: BaseInfoResponse
    scheduler: SchedulerInfoResponse
    triggerer: TriggererInfoResponse
    dag_processor: DagProcessorInfoResponse | None = Field(default=None)


class TimeDelta(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    type_: str = Field(default="TimeDelta", alias="__type")
    days: int
    seconds: int
    microseconds: int


class TaskResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_id: str | None
    task_display_name: str | None
    owner: str | None
    start_date: datetime.datetime | None
    end_date: datetime.datetime | None
    trigger_rule: str | None
    depends_on_past: bool
    wait_for_downstream: bool
    retries: float | None
    queue: str | None
    pool: str | None
    pool_slots: float | None
    execution_timeout: TimeDelta | None
    retry_delay: TimeDelta | None
    retry_exponential_backoff: float
    priority_weight: float | None
    weight_rule: str | None
    ui_color: str | None
    ui_fgcolor: str | None
    template_fields: list[str] | None
    downstream_task_ids: list[str] | None
    doc_md: str | None
    operator_name: str | None
    params: dict[str, Any] | None
    class_ref: dict[str, Any] | None
    is_mapped: bool | None
    extra_links: list[str]


class TaskCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    tasks: list[TaskResponse]
    total_entries: int


class DAGTagCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    tags: list[str]
    total_entries: int


class DAGSourceResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    content: str | None
    dag_id: str
    version_number: int | None
    dag_display_name: str


class NewTaskResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_id: str
    task_display_name: str


class ClearTaskInstanceCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_instances: list[TaskInstanceResponse | NewTaskResponse]
    total_entries: int


class DagStatsStateResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    state: DagRunState
    count: int


class DagStatsResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_id: str
    dag_display_name: str
    stats: list[DagStatsStateResponse]


class DagStatsCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dags: list[DagStatsResponse]
    total_entries: int


DagWarningType = Literal["asset conflict", "non-existent pool", "runtime varying value"]


class DAGWarningResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_id: str
    warning_type: DagWarningType
    message: str
    timestamp: datetime.datetime
    dag_display_name: str


class DAGWarningCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_warnings: list[DAGWarningResponse]
    total_entries: int


class ProviderResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    package_name: str
    description: str
    version: str
    documentation_url: str | None


class ProviderCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    providers: list[ProviderResponse]
    total_entries: int


class JobCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    jobs: list[JobResponse]
    total_entries: int


class AssetAliasCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    asset_aliases: list[AssetAliasResponse]
    total_entries: int


class MaterializeAssetBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_run_id: str | None = Field(default=None)
    data_interval_start: datetime.datetime | None = Field(default=None)
    data_interval_end: datetime.datetime | None = Field(default=None)
    logical_date: datetime.datetime | None = Field(default=None)
    run_after: datetime.datetime | None = Field(default=None)
    conf: dict[str, Any] | None = Field(default=None)
    note: str | None = Field(default=None)
    partition_key: str | None = Field(default=None)


class QueuedEventResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_id: str
    asset_id: int
    created_at: datetime.datetime
    dag_display_name: str


class QueuedEventCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    queued_events: list[QueuedEventResponse]
    total_entries: int


class AsyncConnectionTestResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    token: str
    connection_id: str
    state: str
    result_message: str | None = Field(default=None)
    created_at: datetime.datetime


class ConnectionTestRequestBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    connection_id: str = Field(max_length=200)
    conn_type: str
    description: str | None = Field(default=None)
    host: str | None = Field(default=None)
    login: str | None = Field(default=None)
    schema_: str | None = Field(default=None, alias="schema")
    port: int | None = Field(default=None)
    password: str | None = Field(default=None)
    extra: str | None = Field(default=None)
    team_name: str | None = Field(default=None)
    commit_on_success: bool = Field(default=False)
    executor: str | None = Field(default=None)
    queue: str | None = Field(default=None)


class BulkDAGRunBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    dag_run_id: str
    dag_id: str | None = Field(default=None)
    state: DagRunMutableStates | None = Field(default=None)
    note: str | None = Field(default=None)


class BulkCreateAction_BulkDAGRunBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["create"]
    entities: list[BulkDAGRunBody]
    action_on_existence: BulkActionOnExistence = Field(default="fail")


class BulkUpdateAction_BulkDAGRunBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["update"]
    entities: list[BulkDAGRunBody]
    update_mask: list[str] | None = Field(default=None)
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkDeleteAction_BulkDAGRunBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    action: Literal["delete"]
    entities: list[str | BulkDAGRunBody]
    action_on_non_existence: BulkActionNotOnExistence = Field(default="fail")


class BulkBody_BulkDAGRunBody_(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    actions: list[
        Annotated[
            BulkCreateAction_BulkDAGRunBody_ | BulkUpdateAction_BulkDAGRunBody_ | BulkDeleteAction_BulkDAGRunBody_,
            Field(discriminator="action"),
        ]
    ]


class BulkDAGRunClearBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    partition_key: str | None = Field(default=None)
    partition_date_start: datetime.datetime | None = Field(default=None)
    partition_date_end: datetime.datetime | None = Field(default=None)
    dry_run: bool = Field(default=True)
    only_failed: bool = Field(default=False)
    only_new: bool = Field(default=False)
    run_on_latest_version: bool | None = Field(default=None)
    note: str | None = Field(default=None)
    dag_runs: list[BulkDAGRunBody] | None = Field(default=None)


class ClearPartitionsBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    partition_key: str | None = Field(default=None)
    partition_date_start: datetime.datetime | None = Field(default=None)
    partition_date_end: datetime.datetime | None = Field(default=None)
    run_id: str | None = Field(default=None)
    clear_task_instances: bool = Field(default=False)
    dry_run: bool = Field(default=True)


class ClearPartitionsResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dag_runs_cleared: int
    task_instances_cleared: int
    dry_run: bool


class TaskDependencyResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    name: str
    reason: str


class TaskDependencyCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    dependencies: list[TaskDependencyResponse]


class ExternalLogUrlResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    url: str


class TaskStateStoreResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    key: str
    value: Any
    updated_at: datetime.datetime
    expires_at: datetime.datetime | None


class TaskStateStoreCollectionResponse(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True)

    task_state_store: list[TaskStateStoreResponse]
    total_entries: int


class TaskStateStoreBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    value: Any
    expires_at: datetime.datetime | Literal["default"] | None = Field(default="default")


class TaskStateStorePatchBody(BaseModel):
    model_config = ConfigDict(protected_namespaces=(), populate_by_name=True, extra="forbid")

    value: Any
