-- Row-level security for the tables added after 0003 (0006: hitl_detail, asset_state, asset_alias,
-- asset_alias_asset_event), and deploy identities an app cannot forge.
--
-- Confined roles (those in riir_app_grant) get table privileges on these tables from `db grant-app`; the policies
-- below narrow them. Unconfined roles (the owner, the broker) are not affected.

-- Human-in-the-loop requests: only those of the role's own DAGs' task instances.
ALTER TABLE hitl_detail ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_own_hitl ON hitl_detail USING ((SELECT NOT riir_confined()) OR EXISTS (
    SELECT 1 FROM task_instance ti WHERE ti.id = hitl_detail.ti_id
      AND ti.dag_id = ANY ((SELECT riir_my_dag_ids())::text[])));

-- Asset state is shared by every DAG using the asset (Airflow's asset_state_store): readable by all; a confined
-- role writes only in its own name (last_updated_by_dag_id one of its dag ids) and deletes only what it wrote.
ALTER TABLE asset_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_asset_state ON asset_state FOR SELECT USING (true);
CREATE POLICY riir_insert_asset_state ON asset_state FOR INSERT WITH CHECK ((SELECT NOT riir_confined())
    OR last_updated_by_dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
CREATE POLICY riir_update_asset_state ON asset_state FOR UPDATE USING (true) WITH CHECK ((SELECT NOT riir_confined())
    OR last_updated_by_dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));
CREATE POLICY riir_delete_asset_state ON asset_state FOR DELETE USING ((SELECT NOT riir_confined())
    OR last_updated_by_dag_id = ANY ((SELECT riir_my_dag_ids())::text[]));

-- Asset aliases are names shared by all DAGs: readable and creatable by all, never renamed or deleted by an app.
ALTER TABLE asset_alias ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_asset_alias ON asset_alias FOR SELECT USING (true);
CREATE POLICY riir_insert_asset_alias ON asset_alias FOR INSERT WITH CHECK (true);
CREATE POLICY riir_update_asset_alias ON asset_alias FOR UPDATE USING (true) WITH CHECK (true);
CREATE POLICY riir_delete_asset_alias ON asset_alias FOR DELETE USING (NOT riir_confined());
CREATE FUNCTION riir_asset_alias_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The app's upsert (ON CONFLICT DO UPDATE SET name = EXCLUDED.name) rewrites a row with itself; anything else
    -- by a confined role would hijack another DAG's alias.
    IF riir_confined() AND (NEW.name IS DISTINCT FROM OLD.name OR NEW."group" IS DISTINCT FROM OLD."group"
                            OR NEW.id IS DISTINCT FROM OLD.id) THEN
        RAISE EXCEPTION 'riir-airflow: role % may not change asset alias %', current_user, OLD.name
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER asset_alias_unchanged BEFORE UPDATE ON asset_alias FOR EACH ROW
    EXECUTE FUNCTION riir_asset_alias_unchanged();

-- Which alias an event came through: readable by all; a confined role links only its own DAGs' events.
ALTER TABLE asset_alias_asset_event ENABLE ROW LEVEL SECURITY;
CREATE POLICY riir_read_alias_events ON asset_alias_asset_event FOR SELECT USING (true);
CREATE POLICY riir_link_alias_events ON asset_alias_asset_event FOR INSERT WITH CHECK ((SELECT NOT riir_confined())
    OR EXISTS (SELECT 1 FROM asset_event e WHERE e.id = asset_alias_asset_event.event_id
               AND e.source_dag_id = ANY ((SELECT riir_my_dag_ids())::text[])));
CREATE POLICY riir_unlink_alias_events ON asset_alias_asset_event FOR DELETE USING (NOT riir_confined());

-- Deploy identity: `db grant-app --deployed-by/--service-account/--image/--environment` pins what the role's DAG
-- versions record. A confined app that claims another value for a pinned field is refused; a field the grant does
-- not pin keeps the app's claim, and `identity_checked` says whether every recorded field was pinned (true), or
-- some field is only the app's word (false); NULL for rows written by unconfined roles (the owner).
ALTER TABLE riir_app_grant
    ADD COLUMN deployed_by      text,
    ADD COLUMN service_account  text,
    ADD COLUMN image            text,
    ADD COLUMN environment      text;
ALTER TABLE dag_version ADD COLUMN identity_checked boolean;

CREATE FUNCTION riir_check_deploy_identity() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public AS $$
DECLARE
    g riir_app_grant%ROWTYPE;
    claimed text[] := ARRAY[NEW.deployed_by, NEW.service_account, NEW.image, NEW.environment];
    pinned text[];
    names text[] := ARRAY['deployed_by', 'service_account', 'image', 'environment'];
    unpinned boolean := false;
BEGIN
    SELECT * INTO g FROM riir_app_grant WHERE role_name = session_user;
    IF NOT FOUND THEN
        NEW.identity_checked := NULL;  -- the owner (or the broker): trusted, not checked
        RETURN NEW;
    END IF;
    pinned := ARRAY[g.deployed_by, g.service_account, g.image, g.environment];
    FOR i IN 1..4 LOOP
        IF pinned[i] IS NOT NULL THEN
            IF claimed[i] IS DISTINCT FROM pinned[i] THEN
                RAISE EXCEPTION 'riir-airflow: role % claims % = % for DAG %, but its grant pins %', session_user,
                    names[i], coalesce(claimed[i], 'NULL'), NEW.dag_id, pinned[i]
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
        ELSIF claimed[i] IS NOT NULL THEN
            unpinned := true;
        END IF;
    END LOOP;
    NEW.identity_checked := NOT unpinned;
    RETURN NEW;
END $$;
CREATE TRIGGER dag_version_deploy_identity BEFORE INSERT OR UPDATE ON dag_version FOR EACH ROW
    EXECUTE FUNCTION riir_check_deploy_identity();
