-- Connection tests enqueued through POST /connections/enqueue-test (Airflow: connection_test_request). The broker
-- that accepted the test runs it and records its outcome here, so any broker answers the poll by token. The
-- connection's fields are not stored: they live only in the test's process.
CREATE TABLE connection_test_request (
    token              text PRIMARY KEY,
    connection_id      text NOT NULL,
    state              text NOT NULL DEFAULT 'pending'
                       CHECK (state IN ('pending', 'queued', 'running', 'success', 'failed')),
    result_message     text,
    commit_on_success  boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
-- One active test per connection (Airflow answers a second one with 409).
CREATE UNIQUE INDEX connection_test_request_active_idx ON connection_test_request (connection_id)
    WHERE state IN ('pending', 'queued', 'running');

-- Airflow 3.3's task state store (`context["task_state_store"]`, .../taskInstances/{task_id}/state-store): small JSON
-- values a task keeps across its tries in one run, readable and editable through the REST API. Each app reads and
-- writes only the rows of its own DAGs.
CREATE TABLE task_state_store (
    dag_id      text NOT NULL,
    run_id      text NOT NULL,
    task_id     text NOT NULL,
    map_index   integer NOT NULL DEFAULT -1,
    key         text NOT NULL,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz,  -- NULL: never expires
    PRIMARY KEY (dag_id, run_id, task_id, map_index, key),
    FOREIGN KEY (dag_id, run_id) REFERENCES dag_run (dag_id, run_id) ON DELETE CASCADE ON UPDATE CASCADE
);
ALTER TABLE task_state_store ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_task_state ON task_state_store
    USING ((SELECT NOT riir_confined()) OR dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
