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
