-- Active assets (Airflow 3.3's asset_active): among the assets DAGs reference, active ones have unique names and
-- unique URIs. An app declaring its DAGs' assets activates each one unless an active asset already has its name or
-- its URI (the first declared wins, as the first one Airflow's DAG processor records); a task with an inactive
-- asset in its inlets or outlets fails before it runs, and /api/v2/assets lists only active assets by default.
CREATE TABLE asset_active (
    name  text NOT NULL,
    uri   text NOT NULL,
    PRIMARY KEY (name, uri),
    FOREIGN KEY (name, uri) REFERENCES asset (name, uri) ON DELETE CASCADE
);
CREATE UNIQUE INDEX asset_active_name_unique ON asset_active (name);
CREATE UNIQUE INDEX asset_active_uri_unique ON asset_active (uri);
-- Which assets are active is no secret (every app reads `asset`); apps change it only through riir_declare_asset.
GRANT SELECT ON asset_active TO PUBLIC;

-- The assets known so far: the oldest of each name and URI becomes the active one.
INSERT INTO asset_active (name, uri) SELECT name, uri FROM asset ORDER BY id ON CONFLICT DO NOTHING;

CREATE OR REPLACE FUNCTION riir_declare_asset(asset_name text, asset_uri text, asset_group text, asset_extra jsonb)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    found_id integer;
BEGIN
    IF riir_confined() THEN
        INSERT INTO asset (name, uri, "group", extra) VALUES (asset_name, asset_uri, asset_group, asset_extra)
            ON CONFLICT (name, uri) DO NOTHING;
    ELSE
        INSERT INTO asset (name, uri, "group", extra) VALUES (asset_name, asset_uri, asset_group, asset_extra)
            ON CONFLICT (name, uri) DO UPDATE SET "group" = EXCLUDED."group", updated_at = now();
    END IF;
    -- Activated unless an active asset has this name or this URI (any unique index of asset_active conflicts).
    INSERT INTO asset_active (name, uri) VALUES (asset_name, asset_uri) ON CONFLICT DO NOTHING;
    SELECT id INTO found_id FROM asset WHERE name = asset_name AND uri = asset_uri;
    RETURN found_id;
END $$;
