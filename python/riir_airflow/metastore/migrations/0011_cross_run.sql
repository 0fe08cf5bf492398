-- Reads across runs and DAGs (issue 14): `xcom_pull(dag_id=...)` of another DAG goes through the checked function
-- riir_read_xcoms; a confined app role may read the XComs of the DAGs its grant's read_xcom_dag_ids name (LIKE
-- patterns; every DAG by default, as Airflow allows; `db grant-app --read-xcom-dags` narrows it).

ALTER TABLE riir_app_grant ADD COLUMN read_xcom_dag_ids text[] NOT NULL DEFAULT '{%}';

-- The XComs of one task of another DAG, as Airflow's XComModel.get_many selects them: of one run, or with
-- include_prior_dates of every run whose logical date (or run_after) is not after that run's; latest run first.
CREATE FUNCTION riir_read_xcoms(target_dag_id text, target_run_id text, target_task_id text, xcom_key text,
    target_map_index integer, include_prior_dates boolean)
    RETURNS TABLE (xcom_map_index integer, xcom_value jsonb)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    caller text := session_user;
BEGIN
    IF EXISTS (SELECT 1 FROM riir_app_grant WHERE role_name = caller) AND NOT EXISTS (
        SELECT 1 FROM riir_app_grant g, unnest(g.read_xcom_dag_ids) AS p(pattern)
        WHERE g.role_name = caller AND target_dag_id LIKE p.pattern) THEN
        RAISE EXCEPTION 'riir-airflow: role % may not read the XComs of DAG % (db grant-app --read-xcom-dags)',
            caller, target_dag_id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY
        SELECT x.map_index, x.value FROM xcom x JOIN dag_run r ON r.dag_id = x.dag_id AND r.run_id = x.run_id
        WHERE x.dag_id = target_dag_id AND x.task_id = target_task_id AND x.key = xcom_key
          AND (target_map_index IS NULL OR x.map_index = target_map_index)
          AND CASE WHEN include_prior_dates THEN coalesce(r.logical_date, r.run_after) <= (
                    SELECT coalesce(m.logical_date, m.run_after) FROM dag_run m
                    WHERE m.dag_id = target_dag_id AND m.run_id = target_run_id)
               ELSE x.run_id = target_run_id END
        ORDER BY r.logical_date DESC, x.timestamp DESC;
END $$;
REVOKE ALL ON FUNCTION riir_read_xcoms(text, text, text, text, integer, boolean) FROM PUBLIC;

-- Deadline alerts: one row per (run, alert of the DAG), made by the app when it first sees the run (Airflow makes
-- them when it creates the run). deadline_time NULL: the alert's reference has no time for this run. `missed` is
-- set by the app that fires the callback (once, even with a standby replica). A run that succeeds drops the rows
-- not missed yet (Airflow's prune_deadlines).
CREATE TABLE deadline (
    id             bigserial PRIMARY KEY,
    dag_id         text NOT NULL,
    run_id         text NOT NULL,
    alert_index    integer NOT NULL,
    deadline_time  timestamptz,
    missed         boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dag_id, run_id, alert_index),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX deadline_due_idx ON deadline (dag_id, deadline_time) WHERE NOT missed AND deadline_time IS NOT NULL;
ALTER TABLE deadline ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_dags ON deadline
    USING ((SELECT NOT riir_confined()) OR dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
