-- riir-airflow metastore, first schema. Column names follow Airflow's own tables (its REST API returns them).
-- Every per-DAG row carries dag_id so that an app can later be confined to its rows with row-level security.

CREATE TABLE dag (
    dag_id                           text PRIMARY KEY,
    dag_display_name                 text,
    description                      text,
    fileloc                          text NOT NULL DEFAULT '',
    relative_fileloc                 text,
    owners                           text NOT NULL DEFAULT '',
    tags                             text[] NOT NULL DEFAULT '{}',
    is_paused                        boolean NOT NULL DEFAULT true,
    is_stale                         boolean NOT NULL DEFAULT false,   -- retired: no app serves it any more
    timetable_summary                text,
    timetable_description            text,
    max_active_tasks                 integer NOT NULL DEFAULT 16,
    max_active_runs                  integer NOT NULL DEFAULT 16,
    max_consecutive_failed_dag_runs  integer NOT NULL DEFAULT 0,
    has_task_concurrency_limits      boolean NOT NULL DEFAULT false,
    next_dagrun                      timestamptz,
    next_dagrun_data_interval_start  timestamptz,
    next_dagrun_data_interval_end    timestamptz,
    next_dagrun_create_after         timestamptz,
    last_parsed_time                 timestamptz,
    app_id                           text,
    created_at                       timestamptz NOT NULL DEFAULT now(),
    updated_at                       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dag_tags_idx ON dag USING gin (tags);

CREATE TABLE dag_version (
    id              uuid PRIMARY KEY,
    dag_id          text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    version_number  integer NOT NULL,
    dag_hash        text NOT NULL,
    data            jsonb NOT NULL,                 -- the serialized DAG
    bundle_name     text,
    bundle_version  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dag_id, version_number)
);

CREATE TABLE backfill (
    id                    serial PRIMARY KEY,
    dag_id                text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    from_date             timestamptz NOT NULL,
    to_date               timestamptz NOT NULL,
    dag_run_conf          jsonb NOT NULL DEFAULT '{}',
    is_paused             boolean NOT NULL DEFAULT false,
    reprocess_behavior    text NOT NULL DEFAULT 'none'
                          CHECK (reprocess_behavior IN ('none', 'failed', 'completed')),
    max_active_runs       integer NOT NULL DEFAULT 10,
    run_backwards         boolean NOT NULL DEFAULT false,
    triggering_user_name  text,
    created_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dag_run (
    id                        bigserial PRIMARY KEY,
    dag_id                    text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    run_id                    text NOT NULL,
    run_type                  text NOT NULL
                              CHECK (run_type IN ('manual', 'scheduled', 'backfill', 'asset_triggered')),
    logical_date              timestamptz,
    data_interval_start       timestamptz,
    data_interval_end         timestamptz,
    run_after                 timestamptz NOT NULL DEFAULT now(),
    queued_at                 timestamptz,
    start_date                timestamptz,
    end_date                  timestamptz,
    state                     text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'success', 'failed')),
    conf                      jsonb NOT NULL DEFAULT '{}',
    note                      text,
    triggered_by              text,
    triggering_user_name      text,
    dag_version_id            uuid REFERENCES dag_version (id),
    backfill_id               integer REFERENCES backfill (id) ON DELETE SET NULL,
    last_scheduling_decision  timestamptz,
    updated_at                timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dag_id, run_id)
);
CREATE UNIQUE INDEX dag_run_dag_id_logical_date_key ON dag_run (dag_id, logical_date) WHERE logical_date IS NOT NULL;
CREATE INDEX dag_run_state_idx ON dag_run (dag_id, state);
CREATE INDEX dag_run_run_after_idx ON dag_run (dag_id, run_after DESC);

-- The current (latest) try of each task instance; every finished try is also copied to task_instance_history.
CREATE TABLE task_instance (
    id                    uuid PRIMARY KEY,
    dag_id                text NOT NULL,
    run_id                text NOT NULL,
    task_id               text NOT NULL,
    map_index             integer NOT NULL DEFAULT -1,
    try_number            integer NOT NULL DEFAULT 0,
    max_tries             integer NOT NULL DEFAULT 0,
    state                 text CHECK (state IN ('scheduled', 'queued', 'running', 'success', 'restarting', 'failed',
                          'up_for_retry', 'up_for_reschedule', 'upstream_failed', 'skipped', 'removed', 'deferred',
                          'awaiting_input')),
    task_display_name     text,
    operator              text,
    custom_operator_name  text,
    pool                  text NOT NULL DEFAULT 'default_pool',
    pool_slots            integer NOT NULL DEFAULT 1,
    queue                 text NOT NULL DEFAULT 'default',
    priority_weight       integer NOT NULL DEFAULT 1,
    scheduled_dttm        timestamptz,
    queued_dttm           timestamptz,
    start_date            timestamptz,
    end_date              timestamptz,
    duration              double precision,
    hostname              text NOT NULL DEFAULT '',
    pid                   integer,
    app_id                text,                   -- the DAG app that claimed this try (Airflow: queued_by_job_id)
    last_heartbeat_at     timestamptz,
    next_method           text,
    next_kwargs           jsonb,
    rendered_fields       jsonb,
    rendered_map_index    text,
    note                  text,
    dag_version_id        uuid REFERENCES dag_version (id),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dag_id, run_id, task_id, map_index),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX task_instance_state_idx ON task_instance (state, dag_id);
CREATE INDEX task_instance_ready_idx ON task_instance (dag_id, priority_weight DESC, scheduled_dttm)
    WHERE state = 'scheduled';

CREATE TABLE task_instance_history (
    id                 bigserial PRIMARY KEY,
    task_instance_id   uuid NOT NULL,
    dag_id             text NOT NULL,
    run_id             text NOT NULL,
    task_id            text NOT NULL,
    map_index          integer NOT NULL DEFAULT -1,
    try_number         integer NOT NULL,
    max_tries          integer NOT NULL DEFAULT 0,
    state              text,
    task_display_name  text,
    operator           text,
    pool               text NOT NULL DEFAULT 'default_pool',
    pool_slots         integer NOT NULL DEFAULT 1,
    queue              text NOT NULL DEFAULT 'default',
    priority_weight    integer NOT NULL DEFAULT 1,
    scheduled_dttm     timestamptz,
    queued_dttm        timestamptz,
    start_date         timestamptz,
    end_date           timestamptz,
    duration           double precision,
    hostname           text NOT NULL DEFAULT '',
    pid                integer,
    app_id             text,
    rendered_fields    jsonb,
    dag_version_id     uuid,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dag_id, run_id, task_id, map_index, try_number),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE xcom (
    dag_id     text NOT NULL,
    run_id     text NOT NULL,
    task_id    text NOT NULL,
    map_index  integer NOT NULL DEFAULT -1,
    key        text NOT NULL,
    value      jsonb,
    timestamp  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, run_id, task_id, map_index, key),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE task_log (
    id          bigserial PRIMARY KEY,
    dag_id      text NOT NULL,
    run_id      text NOT NULL,
    task_id     text NOT NULL,
    map_index   integer NOT NULL DEFAULT -1,
    try_number  integer NOT NULL,
    timestamp   timestamptz NOT NULL DEFAULT now(),
    stream      text NOT NULL DEFAULT 'stdout',
    line        text NOT NULL,
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX task_log_try_idx ON task_log (dag_id, run_id, task_id, map_index, try_number, id);

CREATE TABLE variable (
    id            serial PRIMARY KEY,
    key           text NOT NULL UNIQUE,
    val           text,
    description   text,
    is_encrypted  boolean NOT NULL DEFAULT false
);

CREATE TABLE connection (
    id                  serial PRIMARY KEY,
    conn_id             text NOT NULL UNIQUE,
    conn_type           text NOT NULL,
    description         text,
    host                text,
    schema              text,
    login               text,
    password            text,
    port                integer,
    extra               text,
    is_encrypted        boolean NOT NULL DEFAULT false,
    is_extra_encrypted  boolean NOT NULL DEFAULT false
);

CREATE TABLE pool (
    id                serial PRIMARY KEY,
    pool              text NOT NULL UNIQUE,
    slots             integer NOT NULL DEFAULT 0,
    description       text,
    include_deferred  boolean NOT NULL DEFAULT false
);

CREATE TABLE asset (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    uri         text NOT NULL,
    "group"     text NOT NULL DEFAULT 'asset',
    extra       jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (name, uri)
);

CREATE TABLE asset_event (
    id                bigserial PRIMARY KEY,
    asset_id          integer NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    extra             jsonb NOT NULL DEFAULT '{}',
    source_dag_id     text,
    source_task_id    text,
    source_run_id     text,
    source_map_index  integer DEFAULT -1,
    timestamp         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX asset_event_asset_idx ON asset_event (asset_id, timestamp);

-- Registered DAG apps (one per dag.py process or replica).
CREATE TABLE app (
    id              text PRIMARY KEY,
    name            text NOT NULL,
    dag_ids         text[] NOT NULL DEFAULT '{}',
    code_hash       text NOT NULL DEFAULT '',
    version         text,
    hostname        text NOT NULL DEFAULT '',
    pid             integer,
    state           text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'draining', 'stopped')),
    started_at      timestamptz NOT NULL DEFAULT now(),
    last_heartbeat  timestamptz NOT NULL DEFAULT now()
);

-- Lifecycle events (Airflow's audit log, /api/v2/eventLogs).
CREATE TABLE event (
    id            bigserial PRIMARY KEY,
    dttm          timestamptz NOT NULL DEFAULT now(),
    dag_id        text,
    task_id       text,
    run_id        text,
    map_index     integer,
    try_number    integer,
    event         text NOT NULL,
    logical_date  timestamptz,
    owner         text,
    extra         jsonb
);
CREATE INDEX event_dag_idx ON event (dag_id, dttm);

-- Wake-ups. Sent on commit only, so listeners never see a change that rolled back.
CREATE FUNCTION riir_notify_run_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('riir_run_created', json_build_object('dag_id', NEW.dag_id, 'run_id', NEW.run_id,
        'run_type', NEW.run_type)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER dag_run_created AFTER INSERT ON dag_run FOR EACH ROW EXECUTE FUNCTION riir_notify_run_created();

CREATE FUNCTION riir_notify_task_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('riir_task_state', json_build_object('dag_id', NEW.dag_id, 'run_id', NEW.run_id,
        'task_id', NEW.task_id, 'map_index', NEW.map_index, 'try_number', NEW.try_number,
        'state', NEW.state, 'previous', OLD.state)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER task_instance_state_changed AFTER UPDATE OF state ON task_instance FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION riir_notify_task_state();

CREATE FUNCTION riir_notify_dag_paused() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('riir_dag_paused', json_build_object('dag_id', NEW.dag_id, 'is_paused', NEW.is_paused)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER dag_paused_changed AFTER UPDATE OF is_paused ON dag FOR EACH ROW
    WHEN (OLD.is_paused IS DISTINCT FROM NEW.is_paused) EXECUTE FUNCTION riir_notify_dag_paused();

CREATE FUNCTION riir_notify_app_registered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('riir_app_registered', json_build_object('id', NEW.id, 'name', NEW.name,
        'dag_ids', NEW.dag_ids, 'state', NEW.state)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER app_registered AFTER INSERT OR UPDATE OF state, dag_ids, code_hash ON app FOR EACH ROW
    EXECUTE FUNCTION riir_notify_app_registered();
