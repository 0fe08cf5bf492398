-- Runs a TriggerDagRunOperator creates have Airflow 3.3's run type `operator_triggered` (they were `manual`), and
-- `asset_materialization` (Airflow 3.3's run of an @asset) is a run type the table accepts too.
ALTER TABLE dag_run DROP CONSTRAINT dag_run_run_type_check;
ALTER TABLE dag_run ADD CONSTRAINT dag_run_run_type_check CHECK (run_type IN ('manual', 'scheduled', 'backfill',
    'asset_triggered', 'operator_triggered', 'asset_materialization'));

CREATE OR REPLACE FUNCTION riir_trigger_dag_run(target_dag_id text, new_run_id text, new_logical_date timestamptz,
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
    VALUES (target_dag_id, new_run_id, 'operator_triggered', new_logical_date, coalesce(new_logical_date, now()),
        coalesce(new_conf, '{}'), 'queued', now(), 'operator', caller)
    RETURNING id INTO new_id;
    RETURN new_id;
END $$;
