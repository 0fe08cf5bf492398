-- Per-DAG app roles with row-level security (`riir-airflow db grant-app DAG_ID` creates the login roles).
--
-- A role listed in riir_app_grant is *confined*: every policy below lets it see and write only rows of its own
-- dag ids, read only the variables / connections its grant names (LIKE patterns), and reach other DAGs only
-- through the SECURITY DEFINER functions at the end, each of which checks the grant. Roles not in riir_app_grant
-- (the schema owner, the broker's role) are not confined by these policies: they see what their table privileges
-- allow. The schema owner bypasses row-level security altogether (no FORCE), so migrations and the owner's CLI are
-- unaffected.

CREATE TABLE riir_app_grant (
    role_name          text PRIMARY KEY,
    dag_ids            text[] NOT NULL CHECK (cardinality(dag_ids) BETWEEN 1 AND 1000),
    read_variables     text[] NOT NULL DEFAULT '{%}',   -- LIKE patterns of variable keys the app may read
    write_variables    text[] NOT NULL DEFAULT '{}',    -- ... and may set or delete
    read_connections   text[] NOT NULL DEFAULT '{%}',   -- LIKE patterns of conn_ids the app may read
    trigger_dag_ids    text[] NOT NULL DEFAULT '{%}',   -- DAGs its TriggerDagRunOperator may start
    max_registrations  integer NOT NULL DEFAULT 30,     -- app (re)registrations per minute
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- Each role reads its own grant (the policy functions below run as the caller).
ALTER TABLE riir_app_grant ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_grant ON riir_app_grant FOR SELECT USING (role_name = current_user);
GRANT SELECT ON riir_app_grant TO PUBLIC;

CREATE FUNCTION riir_confined() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM riir_app_grant WHERE role_name = current_user)
$$;
CREATE FUNCTION riir_my_dag_ids() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT dag_ids FROM riir_app_grant WHERE role_name = current_user), '{}')
$$;
CREATE FUNCTION riir_may(patterns_column text, value text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT NOT riir_confined() OR EXISTS (
        SELECT 1 FROM riir_app_grant g,
            unnest(CASE patterns_column WHEN 'read_variables' THEN g.read_variables
                                        WHEN 'write_variables' THEN g.write_variables
                                        WHEN 'read_connections' THEN g.read_connections
                                        WHEN 'trigger_dag_ids' THEN g.trigger_dag_ids END) AS p(pattern)
        WHERE g.role_name = current_user AND value LIKE p.pattern)
$$;

-- Who registered an app (so registrations can be counted per role).
ALTER TABLE app ADD COLUMN role_name text NOT NULL DEFAULT current_user;

-- Per-DAG tables: a confined role sees and writes only its own dag ids. The sub-selects make PostgreSQL evaluate
-- the grant once per statement (an InitPlan), not once per row, and let `dag_id = ANY(...)` use the indexes.
DO $$
DECLARE
    spec text[];
BEGIN
    FOREACH spec SLICE 1 IN ARRAY ARRAY[
        ['dag', 'dag_id'], ['dag_version', 'dag_id'], ['backfill', 'dag_id'], ['dag_run', 'dag_id'],
        ['task_instance', 'dag_id'], ['task_instance_history', 'dag_id'], ['xcom', 'dag_id'],
        ['task_log', 'dag_id'], ['event', 'dag_id'], ['task_reschedule', 'dag_id'], ['dag_schedule_lease', 'dag_id']
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', spec[1]);
        EXECUTE format(
            'CREATE POLICY riir_own_dags ON %I USING ((SELECT NOT riir_confined()) OR %I = ANY ((SELECT riir_my_dag_ids())::text[]))',
            spec[1], spec[2]);
    END LOOP;
END $$;

-- The app table: a confined role registers only apps serving a subset of its dag ids.
ALTER TABLE app ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_apps ON app
    USING ((SELECT NOT riir_confined()) OR dag_ids <@ (SELECT riir_my_dag_ids()))
    WITH CHECK ((SELECT NOT riir_confined()) OR (dag_ids <@ (SELECT riir_my_dag_ids()) AND role_name = current_user));

-- Variables and connections: read (and for variables write) only what the grant names.
ALTER TABLE variable ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_variables ON variable FOR SELECT USING (riir_may('read_variables', key));
CREATE POLICY riir_insert_variables ON variable FOR INSERT WITH CHECK (riir_may('write_variables', key));
CREATE POLICY riir_update_variables ON variable FOR UPDATE USING (riir_may('write_variables', key))
    WITH CHECK (riir_may('write_variables', key));
CREATE POLICY riir_delete_variables ON variable FOR DELETE USING (riir_may('write_variables', key));
ALTER TABLE connection ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_connections ON connection FOR SELECT USING (riir_may('read_connections', conn_id));
CREATE POLICY riir_write_connections ON connection FOR ALL USING (NOT riir_confined())
    WITH CHECK (NOT riir_confined());

-- Pools, assets and asset events are readable by every app (nothing secret); apps never write pools.
ALTER TABLE pool ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_pools ON pool FOR SELECT USING (true);
CREATE POLICY riir_write_pools ON pool FOR ALL USING (NOT riir_confined()) WITH CHECK (NOT riir_confined());
ALTER TABLE asset_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_asset_events ON asset_event FOR SELECT USING (true);
CREATE POLICY riir_own_asset_events ON asset_event FOR INSERT
    WITH CHECK ((SELECT NOT riir_confined()) OR source_dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
CREATE POLICY riir_manage_asset_events ON asset_event FOR UPDATE USING (NOT riir_confined());
CREATE POLICY riir_delete_asset_events ON asset_event FOR DELETE
    USING ((SELECT NOT riir_confined()) OR source_dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));

-- What apps publish is bounded (NOT VALID: rows written before this migration are not re-checked).
ALTER TABLE app ADD CONSTRAINT app_published_size CHECK (
    length(id) <= 250 AND length(name) <= 250 AND length(code_hash) <= 128 AND length(coalesce(version, '')) <= 100
    AND length(hostname) <= 255 AND cardinality(dag_ids) <= 1000) NOT VALID;
ALTER TABLE dag_version ADD CONSTRAINT dag_version_document CHECK (
    jsonb_typeof(data) = 'object' AND pg_column_size(data) <= 64 * 1024 * 1024 AND length(dag_hash) <= 128) NOT VALID;
ALTER TABLE dag ADD CONSTRAINT dag_published_size CHECK (
    length(dag_id) <= 250 AND length(coalesce(description, '')) <= 65536 AND cardinality(tags) <= 1000
    AND length(fileloc) <= 4096 AND length(owners) <= 4096) NOT VALID;
ALTER TABLE task_instance ADD CONSTRAINT task_instance_published_size CHECK (
    pg_column_size(rendered_fields) <= 4 * 1024 * 1024 AND pg_column_size(next_kwargs) <= 4 * 1024 * 1024
    AND length(coalesce(rendered_map_index, '')) <= 65536) NOT VALID;
ALTER TABLE xcom ADD CONSTRAINT xcom_value_size CHECK (pg_column_size(value) <= 64 * 1024 * 1024) NOT VALID;
ALTER TABLE event ADD CONSTRAINT event_published_size CHECK (
    length(event) <= 250 AND pg_column_size(extra) <= 1024 * 1024) NOT VALID;
ALTER TABLE dag_run ADD CONSTRAINT dag_run_conf_size CHECK (pg_column_size(conf) <= 4 * 1024 * 1024) NOT VALID;

-- App registration is rate limited per confined role (a crash-looping or hostile app cannot flood the broker).
CREATE FUNCTION riir_limit_app_registration() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
DECLARE
    allowed integer;
    recent integer;
BEGIN
    SELECT max_registrations INTO allowed FROM riir_app_grant WHERE role_name = NEW.role_name;
    IF allowed IS NULL THEN
        RETURN NEW;  -- not a confined role
    END IF;
    SELECT count(*) INTO recent FROM app WHERE role_name = NEW.role_name AND started_at > now() - interval '1 minute';
    IF recent >= allowed THEN
        RAISE EXCEPTION 'riir-airflow: role % registered % apps in the last minute (limit %)', NEW.role_name, recent,
            allowed USING ERRCODE = 'program_limit_exceeded';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER app_registration_limit BEFORE INSERT OR UPDATE OF started_at ON app FOR EACH ROW
    EXECUTE FUNCTION riir_limit_app_registration();

-- Cross-DAG operations for confined roles: narrow, checked, and recorded in the event log.
-- Pool rows are locked and their usage counted across every DAG (pools are shared), without exposing the
-- other DAGs' task instances to the caller.
CREATE FUNCTION riir_lock_pools(names text[]) RETURNS TABLE (pool text, slots integer, include_deferred boolean)
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT p.pool, p.slots, p.include_deferred FROM pool p WHERE p.pool = ANY (names) ORDER BY p.pool FOR UPDATE
$$;
CREATE FUNCTION riir_pool_usage(names text[]) RETURNS TABLE (pool text, used integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT ti.pool, coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state IN ('running', 'queued')
        OR (ti.state = 'deferred' AND p.include_deferred)), 0)::int
    FROM pool p JOIN task_instance ti ON ti.pool = p.pool
    WHERE p.pool = ANY (names) AND ti.state IN ('running', 'queued', 'deferred')
    GROUP BY ti.pool
$$;

-- TriggerDagRunOperator: a queued manual run of another DAG, if the grant's trigger_dag_ids allow it; NULL (and an
-- event `riir_refused_trigger`) when they do not.
CREATE FUNCTION riir_trigger_dag_run(target_dag_id text, new_run_id text, new_logical_date timestamptz,
    new_conf jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    caller text := session_user;
    new_id bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM riir_app_grant WHERE role_name = caller) AND NOT EXISTS (
        SELECT 1 FROM riir_app_grant g, unnest(g.trigger_dag_ids) AS p(pattern)
        WHERE g.role_name = caller AND target_dag_id LIKE p.pattern) THEN
        INSERT INTO event (event, dag_id, run_id, owner, extra) VALUES ('riir_refused_trigger', target_dag_id,
            new_run_id, caller, jsonb_build_object('reason', 'not in trigger_dag_ids'));
        -- Refused without an error, so the event above commits: the caller gets NULL instead of a run id.
        RAISE WARNING 'riir-airflow: role % may not trigger DAG %', caller, target_dag_id;
        RETURN NULL;
    END IF;
    INSERT INTO dag_run (dag_id, run_id, run_type, logical_date, run_after, conf, state, queued_at, triggered_by,
        triggering_user_name)
    VALUES (target_dag_id, new_run_id, 'manual', new_logical_date, coalesce(new_logical_date, now()),
        coalesce(new_conf, '{}'), 'queued', now(), 'operator', caller)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;

-- ExternalTaskSensor: how many of the given tasks of another DAG's run are in the given states.
CREATE FUNCTION riir_external_task_count(target_dag_id text, target_logical_date timestamptz, task_ids text[],
    states text[]) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT count(*)::int FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
    WHERE ti.dag_id = target_dag_id AND r.logical_date = target_logical_date
      AND (task_ids IS NULL OR ti.task_id = ANY (task_ids)) AND ti.state = ANY (states)
$$;

REVOKE ALL ON FUNCTION riir_lock_pools(text[]), riir_pool_usage(text[]),
    riir_trigger_dag_run(text, text, timestamptz, jsonb),
    riir_external_task_count(text, timestamptz, text[], text[]) FROM PUBLIC;
