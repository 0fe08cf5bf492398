"""The PostgreSQL metastore: connection pool, embedded server, migrations, typed queries and notifications."""
