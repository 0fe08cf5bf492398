-- The run engine's durable state: sensor reschedules (Airflow's task_reschedule table, so a restarted or standby
-- app resumes a sensor on time and task_reschedule_count counts them) and the per-DAG scheduling lease, whose
-- fencing token grows each time an app takes over a DAG.

CREATE TABLE task_reschedule (
    id               bigserial PRIMARY KEY,
    ti_id            uuid NOT NULL REFERENCES task_instance (id) ON DELETE CASCADE,
    dag_id           text NOT NULL,
    start_date       timestamptz NOT NULL,
    end_date         timestamptz NOT NULL,
    duration         double precision NOT NULL,
    reschedule_date  timestamptz NOT NULL
);
CREATE INDEX task_reschedule_ti_idx ON task_reschedule (ti_id, id);

CREATE TABLE dag_schedule_lease (
    dag_id         text PRIMARY KEY,
    app_id         text NOT NULL,
    fencing_token  bigint NOT NULL,
    acquired_at    timestamptz NOT NULL DEFAULT now()
);
