-- Row counts per (table, DAG), kept in step with the rows by statement-level triggers: one counter upsert per DAG
-- per statement, in the statement's own transaction, so a reader's snapshot always sees counts that match the rows
-- it sees. The REST API's `total_entries` for a list filtered at most by DAG reads these counters instead of
-- counting a million rows (benchmarks/bench_history.py: 10,000 runs x 100 tasks made count(*) most of a page's
-- time). Rows without a DAG (some event-log rows) count under dag_id ''.
-- A counter row is locked by the transactions that insert or delete rows of its DAG until they commit; each DAG is
-- written by its own app, so apps do not wait on each other.

CREATE TABLE riir_row_count (
    table_name  text NOT NULL,
    dag_id      text NOT NULL,
    n           bigint NOT NULL,
    PRIMARY KEY (table_name, dag_id)
);

INSERT INTO riir_row_count (table_name, dag_id, n)
SELECT 'dag_run', dag_id, count(*) FROM dag_run GROUP BY dag_id
UNION ALL SELECT 'task_instance', dag_id, count(*) FROM task_instance GROUP BY dag_id
UNION ALL SELECT 'xcom', dag_id, count(*) FROM xcom GROUP BY dag_id
UNION ALL SELECT 'event', coalesce(dag_id, ''), count(*) FROM event GROUP BY coalesce(dag_id, '');

-- SECURITY DEFINER: confined app roles (0003) insert rows but get no privilege on the counters themselves.
CREATE FUNCTION riir_count_inserted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
    INSERT INTO riir_row_count AS c (table_name, dag_id, n)
    SELECT TG_TABLE_NAME, coalesce(dag_id, ''), count(*) FROM new_rows GROUP BY 2 ORDER BY 2
    ON CONFLICT (table_name, dag_id) DO UPDATE SET n = c.n + EXCLUDED.n;
    RETURN NULL;
END $$;

CREATE FUNCTION riir_count_deleted() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE riir_row_count c SET n = c.n - d.k
    FROM (SELECT coalesce(dag_id, '') AS dag_id, count(*) AS k FROM old_rows GROUP BY 1 ORDER BY 1) d
    WHERE c.table_name = TG_TABLE_NAME AND c.dag_id = d.dag_id;
    RETURN NULL;
END $$;

-- A row whose dag_id changes (no code path does it today) moves between counters; row level, since transition
-- tables cannot go with a column list (an UPDATE of other columns, such as a task's state, fires nothing).
CREATE FUNCTION riir_count_moved() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
    UPDATE riir_row_count SET n = n - 1 WHERE table_name = TG_TABLE_NAME AND dag_id = coalesce(OLD.dag_id, '');
    INSERT INTO riir_row_count AS c (table_name, dag_id, n) VALUES (TG_TABLE_NAME, coalesce(NEW.dag_id, ''), 1)
    ON CONFLICT (table_name, dag_id) DO UPDATE SET n = c.n + 1;
    RETURN NULL;
END $$;

CREATE FUNCTION riir_count_truncated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT
AS $$
BEGIN
    DELETE FROM riir_row_count WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END $$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['dag_run', 'task_instance', 'xcom', 'event'] LOOP
        EXECUTE format('CREATE TRIGGER riir_count_inserted AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION riir_count_inserted()', t);
        EXECUTE format('CREATE TRIGGER riir_count_deleted AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows '
                       'FOR EACH STATEMENT EXECUTE FUNCTION riir_count_deleted()', t);
        EXECUTE format('CREATE TRIGGER riir_count_moved AFTER UPDATE OF dag_id ON %I FOR EACH ROW '
                       'WHEN (OLD.dag_id IS DISTINCT FROM NEW.dag_id) EXECUTE FUNCTION riir_count_moved()', t);
        EXECUTE format('CREATE TRIGGER riir_count_truncated AFTER TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION riir_count_truncated()', t);
    END LOOP;
END $$;

-- `db clean` deletes by age: without these, each cleaned table is read whole to find its old rows.
CREATE INDEX task_instance_start_date_idx ON task_instance (start_date);
CREATE INDEX xcom_timestamp_idx ON xcom (timestamp);
CREATE INDEX event_dttm_idx ON event (dttm);
CREATE INDEX dag_run_start_date_idx ON dag_run (start_date);
CREATE INDEX task_log_timestamp_idx ON task_log (timestamp);
CREATE INDEX task_instance_history_start_date_idx ON task_instance_history (start_date);
