-- Asset aliases and which asset events came through them (Airflow: asset_alias, asset_alias_asset_event), and
-- human-in-the-loop requests with their answers (Airflow: hitl_detail, one row per waiting task instance).

CREATE TABLE asset_alias (
    id       serial PRIMARY KEY,
    name     text NOT NULL UNIQUE,
    "group"  text NOT NULL DEFAULT 'asset'
);

CREATE TABLE asset_alias_asset_event (
    alias_id  integer NOT NULL REFERENCES asset_alias (id) ON DELETE CASCADE,
    event_id  bigint NOT NULL REFERENCES asset_event (id) ON DELETE CASCADE,
    PRIMARY KEY (alias_id, event_id)
);
CREATE INDEX asset_alias_asset_event_event_idx ON asset_alias_asset_event (event_id);

CREATE TABLE hitl_detail (
    ti_id           uuid PRIMARY KEY REFERENCES task_instance (id) ON DELETE CASCADE ON UPDATE CASCADE,
    options         jsonb NOT NULL,
    subject         text NOT NULL,
    body            text,
    defaults        jsonb,
    multiple        boolean DEFAULT false,
    params          jsonb NOT NULL DEFAULT '{}',
    assignees       jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    responded_at    timestamptz,
    responded_by    jsonb,
    chosen_options  jsonb,
    params_input    jsonb NOT NULL DEFAULT '{}'
);

-- `asset_state_store`: per-asset key/value state tasks keep across runs (Airflow: asset_state_store).
CREATE TABLE asset_state (
    asset_id    integer NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    key         text NOT NULL,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Who wrote it last: 'task' (with the try's identity) or 'api'.
    last_updated_by_kind       text CHECK (last_updated_by_kind IN ('task', 'watcher', 'api')),
    last_updated_by_dag_id     text,
    last_updated_by_run_id     text,
    last_updated_by_task_id    text,
    last_updated_by_map_index  integer,
    PRIMARY KEY (asset_id, key)
);

-- Partitioned assets: the partition an asset event is for, and the partition a DAG run processes.
ALTER TABLE asset_event ADD COLUMN partition_key text;
ALTER TABLE dag_run ADD COLUMN partition_key text;
ALTER TABLE dag_run ADD COLUMN partition_date timestamptz;

-- The response deadline of a try parked in awaiting_input (Airflow keeps it in the same column).
ALTER TABLE task_instance ADD COLUMN trigger_timeout timestamptz;
