-- Who installed each DAG version, and as what (the Kubernetes chart and CI set these; see docs/kubernetes.md).
-- Runs and task tries point at their dag_version (dag_version_id), so each run and try records which version ran
-- and who deployed it. A redeploy of the same code by someone else, or from another image, is a new version.
ALTER TABLE dag_version
    ADD COLUMN deployed_by      text,
    ADD COLUMN service_account  text,
    ADD COLUMN image            text,
    ADD COLUMN environment      text;
