#!/bin/bash
# PostgreSQL primary, first start only (/docker-entrypoint-initdb.d): a role for streaming replicas and
# the pg_hba.conf line that lets it connect for replication. Does nothing unless
# POSTGRES_REPLICATION_PASSWORD is set. The official image sources or executes this file, so it neither
# exits nor changes shell options. An existing database needs the same two steps by hand (docs/scaling.md).
if [ -n "${POSTGRES_REPLICATION_PASSWORD:-}" ]; then
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
        -v pw="$POSTGRES_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
SQL
    echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
fi
