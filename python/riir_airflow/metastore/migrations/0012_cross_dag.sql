-- What crosses DAGs during a try, for apps confined to their own DAGs' rows (migration 0003): narrow, checked
-- SECURITY DEFINER functions, as riir_trigger_dag_run is.

-- TriggerDagRunOperator(wait_for_completion=True): the state of a run of another DAG (NULL: no such run).
CREATE FUNCTION riir_dag_run_state(target_dag_id text, target_run_id text) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT state FROM dag_run WHERE dag_id = target_dag_id AND run_id = target_run_id
$$;

-- TriggerDagRunOperator(reset_dag_run=True) on a run that exists: clear every task instance of it, as Airflow's
-- clear does (api_queries.clear_task_instances is the same for unconfined callers): a running try becomes
-- `restarting`, the others lose their state with max_tries = try_number + the task's retries (from the DAG's
-- latest serialized version), their reschedules go, and a finished run goes back to queued. Only for DAGs the
-- caller may trigger; FALSE (and an event) when it may not.
CREATE FUNCTION riir_reset_dag_run(target_dag_id text, target_run_id text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    caller text := session_user;
    tasks jsonb;
BEGIN
    IF EXISTS (SELECT 1 FROM riir_app_grant WHERE role_name = caller) AND NOT EXISTS (
        SELECT 1 FROM riir_app_grant g, unnest(g.trigger_dag_ids) AS p(pattern)
        WHERE g.role_name = caller AND target_dag_id LIKE p.pattern) THEN
        INSERT INTO event (event, dag_id, run_id, owner, extra) VALUES ('riir_refused_trigger', target_dag_id,
            target_run_id, caller, jsonb_build_object('reason', 'not in trigger_dag_ids (reset_dag_run)'));
        RETURN FALSE;
    END IF;
    SELECT v.data -> 'tasks' INTO tasks FROM dag_version v WHERE v.dag_id = target_dag_id
        ORDER BY v.version_number DESC LIMIT 1;
    WITH cleared AS (
        UPDATE task_instance ti SET updated_at = now(),
            state = CASE WHEN ti.state = 'running' THEN 'restarting' END,
            max_tries = CASE WHEN ti.state = 'running' THEN ti.max_tries ELSE coalesce(
                ti.try_number + (SELECT (t ->> 'retries')::int FROM jsonb_array_elements(coalesce(tasks, '[]'))
                                 AS t WHERE t ->> 'task_id' = ti.task_id LIMIT 1),
                greatest(ti.max_tries, ti.try_number)) END,
            end_date = NULL, next_method = NULL, next_kwargs = NULL
        WHERE ti.dag_id = target_dag_id AND ti.run_id = target_run_id
        RETURNING ti.id
    )
    DELETE FROM task_reschedule WHERE ti_id IN (SELECT id FROM cleared);
    UPDATE dag_run SET queued_at = now(), updated_at = now(),
        state = CASE WHEN state IN ('success', 'failed') THEN 'queued' ELSE state END,
        start_date = CASE WHEN state IN ('success', 'failed') THEN now() ELSE start_date END,
        end_date = CASE WHEN state IN ('success', 'failed') THEN NULL ELSE end_date END
    WHERE dag_id = target_dag_id AND run_id = target_run_id;
    INSERT INTO event (event, dag_id, run_id, owner, extra) VALUES ('riir_reset_dag_run', target_dag_id,
        target_run_id, caller, '{}');
    RETURN TRUE;
END $$;

-- ExternalTaskSensor, Airflow's count: for the runs of another DAG at the given logical dates, with task ids the
-- number of those task instances in `states` divided by the number of task ids; with a task group the same over
-- the group's tasks (from the DAG's latest serialized version, nested groups included); with neither the number
-- of those runs in `states`. The sensor is satisfied when the count equals the number of dates.
CREATE FUNCTION riir_external_count(target_dag_id text, logical_dates timestamptz[], states text[],
    task_ids text[], group_id text) RETURNS double precision
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    watched text[] := task_ids;
    found bigint;
BEGIN
    IF watched IS NULL AND group_id IS NOT NULL THEN
        SELECT coalesce(array_agg(t ->> 'task_id'), '{}') INTO watched
        FROM dag_version v, jsonb_array_elements(v.data -> 'tasks') AS t
        WHERE v.id = (SELECT id FROM dag_version WHERE dag_id = target_dag_id ORDER BY version_number DESC LIMIT 1)
          AND (t ->> 'task_group' = group_id OR t ->> 'task_group' LIKE group_id || '.%');
        IF cardinality(watched) = 0 THEN
            RETURN 0;
        END IF;
    END IF;
    IF watched IS NULL THEN
        SELECT count(*) INTO found FROM dag_run r
        WHERE r.dag_id = target_dag_id AND r.logical_date = ANY (logical_dates) AND r.state = ANY (states);
        RETURN found;
    END IF;
    SELECT count(*) INTO found FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
    WHERE ti.dag_id = target_dag_id AND r.logical_date = ANY (logical_dates) AND ti.task_id = ANY (watched)
      AND ti.state = ANY (states);
    RETURN found::double precision / cardinality(watched);
END $$;

REVOKE ALL ON FUNCTION riir_dag_run_state(text, text), riir_reset_dag_run(text, text),
    riir_external_count(text, timestamptz[], text[], text[], text) FROM PUBLIC;

-- Asset-triggered DAGs between apps (Airflow: dag_schedule_asset_reference, dag_schedule_asset_alias_reference,
-- asset_dag_run_queue; the consumed events go to 0008's dagrun_asset_event). The consumer's app writes which assets and aliases its DAG is
-- scheduled on (by name and URI: the asset row may not exist before its first event). An asset event, whoever
-- records it, queues each unpaused DAG scheduled on its asset, or on an alias it came through, and wakes that DAG's
-- app; the app creates the run when the DAG's condition holds over the queued assets, links the events it consumes
-- and empties the DAG's queue.
CREATE TABLE dag_schedule_asset_reference (
    dag_id      text NOT NULL,
    name        text NOT NULL,
    uri         text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, name, uri)
);
CREATE INDEX dag_schedule_asset_reference_asset_idx ON dag_schedule_asset_reference (name, uri);

CREATE TABLE dag_schedule_asset_alias_reference (
    dag_id      text NOT NULL,
    alias_name  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (dag_id, alias_name)
);
CREATE INDEX dag_schedule_asset_alias_reference_alias_idx ON dag_schedule_asset_alias_reference (alias_name);

CREATE TABLE asset_dag_run_queue (
    asset_id       integer NOT NULL REFERENCES asset (id) ON DELETE CASCADE,
    target_dag_id  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (asset_id, target_dag_id)
);
CREATE INDEX asset_dag_run_queue_dag_idx ON asset_dag_run_queue (target_dag_id);


-- Queues the unpaused DAGs scheduled on `asset` (directly, or through `alias` when given) and wakes their apps.
CREATE FUNCTION riir_queue_asset_consumers(queued_asset_id integer, alias text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    consumer text;
BEGIN
    FOR consumer IN
        SELECT DISTINCT r.dag_id FROM asset a JOIN dag_schedule_asset_reference r ON r.name = a.name AND r.uri = a.uri
        JOIN dag d ON d.dag_id = r.dag_id
        WHERE a.id = queued_asset_id AND alias IS NULL AND NOT d.is_paused
        UNION
        SELECT DISTINCT r.dag_id FROM dag_schedule_asset_alias_reference r JOIN dag d ON d.dag_id = r.dag_id
        WHERE r.alias_name = alias AND NOT d.is_paused
    LOOP
        INSERT INTO asset_dag_run_queue (asset_id, target_dag_id) VALUES (queued_asset_id, consumer)
            ON CONFLICT DO NOTHING;
        PERFORM pg_notify(riir_dag_channel(consumer),
            json_build_object('dag_id', consumer, 'asset_id', queued_asset_id, 'event', 'riir_asset_queued')::text);
    END LOOP;
END $$;

CREATE FUNCTION riir_asset_event_queued() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM riir_queue_asset_consumers(NEW.asset_id, NULL);
    RETURN NULL;
END $$;
CREATE TRIGGER asset_event_queues_consumers AFTER INSERT ON asset_event FOR EACH ROW
    EXECUTE FUNCTION riir_asset_event_queued();

CREATE FUNCTION riir_alias_event_queued() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM riir_queue_asset_consumers((SELECT asset_id FROM asset_event WHERE id = NEW.event_id),
                                       (SELECT name FROM asset_alias WHERE id = NEW.alias_id));
    RETURN NULL;
END $$;
CREATE TRIGGER asset_alias_event_queues_consumers AFTER INSERT ON asset_alias_asset_event FOR EACH ROW
    EXECUTE FUNCTION riir_alias_event_queued();

-- AssetWatcher: the app of a DAG scheduled on an asset records the events its watcher's trigger fires (Airflow's
-- extra {"from_trigger": true, "payload": ...}); only for an asset one of the caller's DAGs is scheduled on.
CREATE FUNCTION riir_record_watcher_event(asset_name text, asset_uri text, event_extra jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    watched_asset integer;
    new_id bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dag_schedule_asset_reference r WHERE r.name = asset_name AND r.uri = asset_uri
                   AND (NOT riir_confined() OR r.dag_id = ANY (riir_my_dag_ids()))) THEN
        RAISE EXCEPTION 'riir-airflow: no DAG of this app is scheduled on asset (%, %)', asset_name, asset_uri
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO asset (name, uri) VALUES (asset_name, asset_uri) ON CONFLICT (name, uri) DO NOTHING;
    SELECT id INTO watched_asset FROM asset WHERE name = asset_name AND uri = asset_uri;
    INSERT INTO asset_event (asset_id, extra) VALUES (watched_asset, event_extra) RETURNING id INTO new_id;
    RETURN new_id;
END $$;

-- Confined apps see and write only their own DAGs' references and queue rows (the consumed-event links,
-- dagrun_asset_event, are migration 0008's).
ALTER TABLE dag_schedule_asset_reference ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_dags ON dag_schedule_asset_reference
    USING ((SELECT NOT riir_confined()) OR dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
ALTER TABLE dag_schedule_asset_alias_reference ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_dags ON dag_schedule_asset_alias_reference
    USING ((SELECT NOT riir_confined()) OR dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
ALTER TABLE asset_dag_run_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_dags ON asset_dag_run_queue
    USING ((SELECT NOT riir_confined()) OR target_dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));

REVOKE ALL ON FUNCTION riir_queue_asset_consumers(integer, text), riir_record_watcher_event(text, text, jsonb)
    FROM PUBLIC;

-- Assets and aliases are shared by every DAG; a confined app may only read those tables. What an app must be able
-- to write into them goes through these: declaring the assets its DAGs schedule on or produce (never changing an
-- existing asset's group or extra unless the caller is unconfined), the aliases its tasks emit through, and the
-- link of an event to the alias it came through (only for events of the caller's own DAGs).
CREATE FUNCTION riir_declare_asset(asset_name text, asset_uri text, asset_group text, asset_extra jsonb)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    found_id integer;
BEGIN
    IF riir_confined() THEN
        INSERT INTO asset (name, uri, "group", extra) VALUES (asset_name, asset_uri, asset_group, asset_extra)
            ON CONFLICT (name, uri) DO NOTHING;
    ELSE
        INSERT INTO asset (name, uri, "group", extra) VALUES (asset_name, asset_uri, asset_group, asset_extra)
            ON CONFLICT (name, uri) DO UPDATE SET "group" = EXCLUDED."group", updated_at = now();
    END IF;
    SELECT id INTO found_id FROM asset WHERE name = asset_name AND uri = asset_uri;
    RETURN found_id;
END $$;

CREATE FUNCTION riir_declare_asset_alias(alias_name text) RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    found_id integer;
BEGIN
    INSERT INTO asset_alias (name) VALUES (alias_name) ON CONFLICT (name) DO NOTHING;
    SELECT id INTO found_id FROM asset_alias WHERE name = alias_name;
    RETURN found_id;
END $$;

CREATE FUNCTION riir_link_alias_event(linked_alias_id integer, linked_event_id bigint) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF riir_confined() AND NOT EXISTS (SELECT 1 FROM asset_event WHERE id = linked_event_id
                                       AND source_dag_id = ANY (riir_my_dag_ids())) THEN
        RAISE EXCEPTION 'riir-airflow: asset event % is not one of this app''s DAGs', linked_event_id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO asset_alias_asset_event (alias_id, event_id) VALUES (linked_alias_id, linked_event_id)
        ON CONFLICT DO NOTHING;
END $$;

REVOKE ALL ON FUNCTION riir_declare_asset(text, text, text, jsonb), riir_declare_asset_alias(text),
    riir_link_alias_event(integer, bigint) FROM PUBLIC;
