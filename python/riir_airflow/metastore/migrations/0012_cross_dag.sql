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
