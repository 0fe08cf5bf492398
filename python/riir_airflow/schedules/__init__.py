"""What starts a DAG run: time (time zones, timetables computed by the Rust core, cron presets, partitioned
schedules and their mappers) and assets (assets, aliases and their `&` / `|` conditions).

Below the authoring layer and free of DAG code, so the broker can plan backfills and next runs from a serialized
timetable without importing authoring code."""
