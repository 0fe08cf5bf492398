-- Fewer notifications nobody acts on. PostgreSQL wakes every backend that LISTENs in the database for each
-- transaction that sends a notification, whatever its channel: with one listening app per DAG, a notification costs
-- a wake-up of every app's session backend, so a scheduled tick of N DAGs costs N x N of them per notifying commit.
-- Two kinds are not sent any more:
-- * a task instance moving to scheduled, queued or running: only the app running the DAG moves it there (awake
--   then), and no app wakes up for it (app/service.py) — except when it leaves awaiting_input, which the broker
--   does when a person answers a human-in-the-loop task: that one is still sent;
-- * a run created by the DAG's own timetable (run_type scheduled): only the app scheduling the DAG creates those.
-- Every other change is announced as before (metastore/notify.py).

CREATE OR REPLACE FUNCTION riir_notify_run_created() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json;
BEGIN
    IF NEW.run_type = 'scheduled' THEN
        RETURN NULL;
    END IF;
    body := json_build_object('dag_id', NEW.dag_id, 'run_id', NEW.run_id, 'run_type', NEW.run_type);
    PERFORM pg_notify('riir_run_created', body::text);
    PERFORM pg_notify(riir_dag_channel(NEW.dag_id), (body::jsonb || '{"event": "riir_run_created"}')::text);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION riir_notify_task_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    body json;
BEGIN
    IF NEW.state IN ('scheduled', 'queued', 'running') AND OLD.state IS DISTINCT FROM 'awaiting_input' THEN
        RETURN NULL;
    END IF;
    body := json_build_object('dag_id', NEW.dag_id, 'run_id', NEW.run_id, 'task_id', NEW.task_id,
        'map_index', NEW.map_index, 'try_number', NEW.try_number, 'state', NEW.state, 'previous', OLD.state);
    PERFORM pg_notify('riir_task_state', body::text);
    PERFORM pg_notify(riir_dag_channel(NEW.dag_id), (body::jsonb || '{"event": "riir_task_state"}')::text);
    RETURN NULL;
END $$;
