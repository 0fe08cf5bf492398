-- Each DAG version's timetable type (its serialized timetable's `__type`), filled by PostgreSQL when the version is
-- written: the DAG list shows the type of each DAG's latest version, which it read out of the version's serialized
-- DAG (a jsonb of a few kilobytes, decompressed for every listed DAG on every listing).
ALTER TABLE dag_version ADD COLUMN timetable_type text
    GENERATED ALWAYS AS (data -> 'schedule' -> 'timetable' ->> '__type') STORED;
