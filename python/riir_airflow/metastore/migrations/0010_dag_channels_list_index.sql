-- Per-DAG wake-up channels: an app LISTENs only to the channels of its own DAGs, so an event of one DAG is not
-- delivered to every app of a large deployment (metastore/notify.py). The global channels stay as they were
-- (the broker, tools and tests listen to them); each event is also sent on its DAG's channel with its kind in
-- "event". Channel names are identifiers (at most 63 bytes) while DAG ids reach 250 characters: hence a hash.

CREATE FUNCTION riir_dag_channel(dag_id text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'riir_dag_' || left(md5(dag_id), 24)
$$;

CREATE OR REPLACE FUNCTION riir_notify_run_created() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json := json_build_object('dag_id', NEW.dag_id, 'run_id', NEW.run_id, 'run_type', NEW.run_type);
BEGIN
    PERFORM pg_notify('riir_run_created', body::text);
    PERFORM pg_notify(riir_dag_channel(NEW.dag_id), (body::jsonb || '{"event": "riir_run_created"}')::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION riir_notify_task_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json := json_build_object('dag_id', NEW.dag_id, 'run_id', NEW.run_id, 'task_id', NEW.task_id,
        'map_index', NEW.map_index, 'try_number', NEW.try_number, 'state', NEW.state, 'previous', OLD.state);
BEGIN
    PERFORM pg_notify('riir_task_state', body::text);
    PERFORM pg_notify(riir_dag_channel(NEW.dag_id), (body::jsonb || '{"event": "riir_task_state"}')::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION riir_notify_dag_paused() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json := json_build_object('dag_id', NEW.dag_id, 'is_paused', NEW.is_paused);
BEGIN
    PERFORM pg_notify('riir_dag_paused', body::text);
    PERFORM pg_notify(riir_dag_channel(NEW.dag_id), (body::jsonb || '{"event": "riir_dag_paused"}')::text);
    RETURN NULL;
END $$;

-- The API lists task instances across runs in Airflow's default order (map_index, then the key): without this index
-- every such page sorts the whole table (benchmarks/bench_history.py).
CREATE INDEX task_instance_list_order_idx ON task_instance (map_index, dag_id, run_id, task_id);
