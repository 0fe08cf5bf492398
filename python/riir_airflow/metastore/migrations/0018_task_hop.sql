-- A task hop (one try's result to the next try's start) in few round trips. Each function below runs as one
-- statement, so it is atomic without BEGIN/COMMIT, and it is the only copy of its SQL: the Python helpers in
-- metastore/queries.py and metastore/app_queries.py call them. They run as the caller (row-level security applies);
-- pools are locked and counted through the checked functions of migration 0003.

-- The fencing check of a write by the app holding a DAG's scheduling lease: raises SQLSTATE RI001 (the app's
-- `Fenced`) unless `token` is still the DAG's lease. FOR SHARE makes a takeover (which updates the row) wait for the
-- caller's transaction, so no write of an old holder lands after a new holder's first one. `durable => false` also
-- turns off synchronous_commit for the transaction (for writes that a later durable commit makes durable).
CREATE FUNCTION riir_check_lease(lease_dag_id text, token bigint, durable boolean DEFAULT true) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    current_token bigint;
BEGIN
    SELECT fencing_token INTO current_token FROM dag_schedule_lease WHERE dag_id = lease_dag_id FOR SHARE;
    IF current_token IS DISTINCT FROM token THEN
        RAISE EXCEPTION 'the scheduling lease of % moved on (token %, this app holds %)', lease_dag_id,
            current_token, token USING ERRCODE = 'RI001';
    END IF;
    IF NOT durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
END $$;

-- Compare-and-set of several task instances of one DAG (any of its runs): each change applies only while the
-- instance is in one of its `expected` states (comma-separated; `expect_none` for no state). Entering `scheduled`
-- starts a new try (try_number + 1) unless the task resumes from up_for_reschedule or deferred, as in Airflow;
-- entering a finished state without running (skipped, upstream_failed, removed) stamps start/end dates. Returns the
-- instances that changed.
CREATE FUNCTION riir_set_task_states(target_dag_id text, run_ids text[], task_ids text[], map_indexes integer[],
    new_states text[], expected text[], expect_none boolean[])
    RETURNS TABLE (changed_run_id text, changed_task_id text, changed_map_index integer)
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    UPDATE task_instance ti SET
        state = c.new_state,
        -- Entering `success` from a state before running is an empty task Airflow's scheduler marks success
        -- without running it: a try that starts and ends at once.
        try_number = ti.try_number + CASE WHEN (c.new_state = 'scheduled'
            AND ti.state IS DISTINCT FROM 'up_for_reschedule' AND ti.state IS DISTINCT FROM 'deferred')
            OR (c.new_state = 'success' AND (ti.state IS NULL OR ti.state = 'up_for_retry'))
            THEN 1 ELSE 0 END,
        scheduled_dttm = CASE WHEN c.new_state = 'scheduled' THEN now() ELSE ti.scheduled_dttm END,
        start_date = CASE WHEN c.new_state IN ('skipped', 'upstream_failed', 'removed')
            THEN coalesce(ti.start_date, now())
            WHEN c.new_state = 'success' AND ti.state IS DISTINCT FROM 'running' THEN now()
            ELSE ti.start_date END,
        end_date = CASE WHEN c.new_state IN ('skipped', 'upstream_failed', 'removed') THEN now()
            WHEN c.new_state = 'success' AND ti.state IS DISTINCT FROM 'running' THEN now()
            WHEN c.new_state IS NULL OR c.new_state = 'scheduled' THEN NULL ELSE ti.end_date END,
        duration = CASE WHEN c.new_state = 'success' AND ti.state IS DISTINCT FROM 'running' THEN 0
            ELSE ti.duration END,
        updated_at = now()
    FROM unnest(run_ids, task_ids, map_indexes, new_states, expected, expect_none)
        AS c(run_id, task_id, map_index, new_state, expected, expect_none)
    WHERE ti.dag_id = target_dag_id AND ti.run_id = c.run_id AND ti.task_id = c.task_id
      AND ti.map_index = c.map_index
      AND (ti.state = ANY(string_to_array(c.expected, ',')) OR (ti.state IS NULL AND c.expect_none))
    RETURNING ti.run_id, ti.task_id, ti.map_index;
END $$;

-- Claims up to `claim_limit` scheduled tries of `claim_dag_ids` (all DAGs when NULL), highest priority_weight first,
-- for this app: `queued`, or with `start` straight to `running` (start date stamped, the try's earlier XComs
-- cleared unless it resumes from a deferral), as start_try does. Concurrent claimers never get the same try (FOR
-- UPDATE SKIP LOCKED). Pools are honoured across all apps as Airflow's scheduler does: the candidates' pool rows are
-- locked (in name order, so claimers cannot deadlock), the slots in use are counted after the lock is granted (a new
-- statement, so a new snapshot: what other claimers committed before is seen), and a try that does not fit its
-- pool's open slots, or whose pool does not exist, stays scheduled while smaller or other-pool tries behind it may
-- still go. `slots = -1` is unlimited. Returned in claim order.
CREATE FUNCTION riir_claim_tries(claim_dag_ids text[], claim_app_id text, claim_hostname text, claim_limit integer,
    start boolean) RETURNS SETOF task_instance
    LANGUAGE plpgsql AS $$
DECLARE
    candidate record;
    ids uuid[] := '{}';
    pools text[] := '{}';
    needs integer[] := '{}';
    pool_names text[] := '{}';
    pool_open double precision[] := '{}';
    chosen uuid[] := '{}';
    k integer;
BEGIN
    IF claim_limit <= 0 THEN
        RETURN;
    END IF;
    FOR candidate IN
        SELECT ti.id, ti.pool, ti.pool_slots FROM task_instance ti
        WHERE ti.state = 'scheduled' AND (claim_dag_ids IS NULL OR ti.dag_id = ANY(claim_dag_ids))
        ORDER BY ti.priority_weight DESC, ti.scheduled_dttm, ti.id
        LIMIT claim_limit * 4  -- look past tries that will not fit
        FOR UPDATE SKIP LOCKED
    LOOP
        ids := ids || candidate.id;
        pools := pools || candidate.pool;
        needs := needs || candidate.pool_slots;
    END LOOP;
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    FOR candidate IN SELECT * FROM riir_lock_pools(ARRAY(SELECT DISTINCT p FROM unnest(pools) AS p ORDER BY p)) LOOP
        pool_names := pool_names || candidate.pool;
        pool_open := pool_open || CASE WHEN candidate.slots = -1 THEN 'Infinity'::double precision
                                       ELSE candidate.slots END;
    END LOOP;
    FOR candidate IN SELECT * FROM riir_pool_usage(pool_names) LOOP
        k := array_position(pool_names, candidate.pool);
        pool_open[k] := pool_open[k] - candidate.used;
    END LOOP;
    FOR i IN 1 .. cardinality(ids) LOOP
        EXIT WHEN cardinality(chosen) >= claim_limit;
        k := array_position(pool_names, pools[i]);
        IF coalesce(pool_open[k], 0) >= needs[i] THEN
            IF k IS NOT NULL THEN
                pool_open[k] := pool_open[k] - needs[i];
            END IF;
            chosen := chosen || ids[i];
        END IF;
    END LOOP;
    IF cardinality(chosen) = 0 THEN
        RETURN;
    END IF;
    IF NOT start THEN
        RETURN QUERY
        UPDATE task_instance ti SET state = 'queued', queued_dttm = now(), app_id = claim_app_id,
            hostname = claim_hostname, updated_at = now()
        WHERE ti.id = ANY(chosen)
        RETURNING ti.*;
    ELSE
        RETURN QUERY
        WITH started AS (
            UPDATE task_instance ti SET state = 'running', queued_dttm = now(), app_id = claim_app_id,
                hostname = claim_hostname, pid = 0, updated_at = now(),
                start_date = CASE WHEN ti.next_method IS NULL THEN now() ELSE coalesce(ti.start_date, now()) END,
                end_date = NULL, duration = NULL, last_heartbeat_at = now()
            WHERE ti.id = ANY(chosen)
            RETURNING ti.*
        ), cleared AS (
            DELETE FROM xcom x USING started s
            WHERE s.next_method IS NULL AND x.dag_id = s.dag_id AND x.run_id = s.run_id
              AND x.task_id = s.task_id AND x.map_index = s.map_index
        )
        SELECT * FROM started;
    END IF;
END $$;

-- One loop turn's writes for a DAG in one statement: the planner's compare-and-set changes (riir_set_task_states),
-- then the claim and start of its scheduled tries (riir_claim_tries), fenced by the DAG's lease. The commit waits
-- for the WAL flush only when a try starts (its process is forked after it); the planner's changes alone are
-- derived again if a PostgreSQL crash loses them.
CREATE FUNCTION riir_schedule_and_start(lease_dag_id text, token bigint, run_ids text[], task_ids text[],
    map_indexes integer[], new_states text[], expected text[], expect_none boolean[], claim_app_id text,
    claim_hostname text, claim_limit integer) RETURNS SETOF task_instance
    LANGUAGE plpgsql AS $$
DECLARE
    started integer;
BEGIN
    PERFORM riir_check_lease(lease_dag_id, token);
    IF cardinality(task_ids) > 0 THEN
        PERFORM riir_set_task_states(lease_dag_id, run_ids, task_ids, map_indexes, new_states, expected, expect_none);
    END IF;
    RETURN QUERY SELECT * FROM riir_claim_tries(ARRAY[lease_dag_id], claim_app_id, claim_hostname, claim_limit, true);
    GET DIAGNOSTICS started = ROW_COUNT;
    IF started = 0 THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
END $$;

-- The end (or deferral) of a try: state, end date and duration, the history row of a try that ended (its state in
-- `history_states`), its XComs, and for up_for_retry the task_reschedule rows dropped (Airflow's
-- prepare_db_for_next_try: the next try starts with task_reschedule_count 0), all or nothing. Nothing is written,
-- and no row returned, when the try is no longer in one of `expected_states` (cleared, or recorded already).
-- `cache_hit` (a `cache="file"` task): true sets the note to `cache_note`, false drops an earlier hit's note
-- ("cached: ...") and keeps any other, NULL leaves it. With `lease_dag_id`, fenced by `token` (riir_check_lease);
-- `durable => false` commits without waiting for the WAL flush.
CREATE FUNCTION riir_record_result(result_ti_id uuid, result_try integer, new_state text, expected_states text[],
    history_states text[], rendered jsonb, rendered_index text, resume_method text, resume_kwargs jsonb,
    xcom_keys text[], xcom_values text[], cache_hit boolean, cache_note text, lease_dag_id text DEFAULT NULL,
    token bigint DEFAULT NULL, durable boolean DEFAULT true) RETURNS SETOF task_instance
    LANGUAGE plpgsql AS $$
DECLARE
    ended task_instance;
BEGIN
    IF lease_dag_id IS NOT NULL THEN
        PERFORM riir_check_lease(lease_dag_id, token, durable);
    ELSIF NOT durable THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    UPDATE task_instance ti SET state = new_state, updated_at = now(),
        end_date = CASE WHEN new_state IN ('deferred', 'awaiting_input') THEN NULL ELSE now() END,
        duration = CASE WHEN new_state IN ('deferred', 'awaiting_input') THEN NULL
                        ELSE extract(epoch FROM now() - coalesce(ti.start_date, now())) END,
        rendered_fields = coalesce(rendered, ti.rendered_fields),
        rendered_map_index = coalesce(rendered_index, ti.rendered_map_index),
        next_method = resume_method, next_kwargs = resume_kwargs,
        note = CASE WHEN cache_hit IS NULL THEN ti.note WHEN cache_hit THEN cache_note
                    WHEN ti.note LIKE 'cached:%' THEN NULL ELSE ti.note END
    WHERE ti.id = result_ti_id AND ti.try_number = result_try AND ti.state = ANY(expected_states)
    RETURNING ti.* INTO ended;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF new_state = ANY(history_states) THEN
        INSERT INTO task_instance_history (task_instance_id, dag_id, run_id, task_id, map_index, try_number,
            max_tries, state, task_display_name, operator, pool, pool_slots, queue, priority_weight, scheduled_dttm,
            queued_dttm, start_date, end_date, duration, hostname, pid, app_id, rendered_fields, dag_version_id)
        VALUES (ended.id, ended.dag_id, ended.run_id, ended.task_id, ended.map_index, ended.try_number,
            ended.max_tries, ended.state, ended.task_display_name, ended.operator, ended.pool, ended.pool_slots,
            ended.queue, ended.priority_weight, ended.scheduled_dttm, ended.queued_dttm, ended.start_date,
            ended.end_date, ended.duration, ended.hostname, ended.pid, ended.app_id, ended.rendered_fields,
            ended.dag_version_id)
        ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO UPDATE SET state = EXCLUDED.state,
            end_date = EXCLUDED.end_date, duration = EXCLUDED.duration, updated_at = now();
    END IF;
    IF cardinality(xcom_keys) > 0 THEN
        INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value)
        SELECT ended.dag_id, ended.run_id, ended.task_id, ended.map_index, x.k, x.v::jsonb
        FROM unnest(xcom_keys, xcom_values) AS x(k, v)
        ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE
            SET value = EXCLUDED.value, timestamp = now();
    END IF;
    IF new_state = 'up_for_retry' THEN
        DELETE FROM task_reschedule WHERE ti_id = result_ti_id;
    END IF;
    RETURN NEXT ended;
END $$;
