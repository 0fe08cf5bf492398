-- What each DAG app's plugins are (Airflow's `get_plugin_info()` per plugin) and which plugin files failed to
-- import, published by the app when it registers: the broker shows them (/api/v2/plugins) without importing any
-- plugin code.
ALTER TABLE app
    ADD COLUMN plugins              jsonb NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN plugin_import_errors jsonb NOT NULL DEFAULT '{}'::jsonb;
