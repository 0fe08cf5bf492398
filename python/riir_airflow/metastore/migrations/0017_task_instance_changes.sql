-- What changed in a run since a DAG app last read it, so that a loop turn reads the task instances that changed, not
-- all of them (issue 19: a 10,000-instance run read whole at every turn was most of the app's CPU).
--
-- Every insert or update of a task instance stamps the writing transaction's id. A reader keeps the xmin of the
-- snapshot it read with (`pg_snapshot_xmin(pg_current_snapshot())`, in the same statement) and next reads the rows
-- stamped at or after it: a transaction below that xmin had ended before the earlier read, so its writes were in
-- it; one at or above may not have been, so its rows are read again (reading a row twice is harmless). Deleted rows
-- do not show: the reader compares the run's row count with what it holds and reads everything when they differ.
ALTER TABLE task_instance ADD COLUMN riir_change_xid xid8;

CREATE FUNCTION riir_stamp_task_instance_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.riir_change_xid := pg_current_xact_id();
    RETURN NEW;
END $$;

CREATE TRIGGER riir_task_instance_change BEFORE INSERT OR UPDATE ON task_instance
    FOR EACH ROW EXECUTE FUNCTION riir_stamp_task_instance_change();

CREATE INDEX idx_task_instance_changes ON task_instance (dag_id, run_id, riir_change_xid);
