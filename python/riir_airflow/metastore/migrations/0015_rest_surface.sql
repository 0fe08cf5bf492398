-- What Airflow's REST API shows that the first schemas did not keep.

-- The DAGs each user marked as favorite (Airflow: dag_favorite; POST /dags/{dag_id}/favorite, GET /dags?is_favorite).
-- The user id is the auth manager's user name. Only the broker reads and writes it.
CREATE TABLE dag_favorite (
    user_id  text NOT NULL,
    dag_id   text NOT NULL REFERENCES dag (dag_id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, dag_id)
);
CREATE INDEX dag_favorite_dag_idx ON dag_favorite (dag_id);

-- GET /jobs lists each app registration as one of Airflow's jobs, whose id is an integer.
ALTER TABLE app ADD COLUMN job_id bigserial;
CREATE UNIQUE INDEX app_job_id_idx ON app (job_id);
