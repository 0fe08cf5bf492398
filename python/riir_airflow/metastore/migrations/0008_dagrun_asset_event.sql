-- Which asset events each asset-triggered run consumed (Airflow's `dagrun_asset_event`): an app creates a run of
-- an asset-scheduled DAG when events it has not consumed yet satisfy the DAG's asset condition, and records them
-- here in the same transaction, so each event triggers each consumer DAG at most once.
CREATE TABLE dagrun_asset_event (
    dag_run_id  bigint NOT NULL REFERENCES dag_run (id) ON DELETE CASCADE,
    event_id    bigint NOT NULL REFERENCES asset_event (id) ON DELETE CASCADE,
    dag_id      text NOT NULL,
    PRIMARY KEY (dag_run_id, event_id)
);
CREATE INDEX dagrun_asset_event_dag_idx ON dagrun_asset_event (dag_id, event_id);
ALTER TABLE dagrun_asset_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_dags ON dagrun_asset_event
    USING ((SELECT NOT riir_confined()) OR dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
