#!/bin/bash
# PostgreSQL streaming replica (hot standby) of the `postgres` service, for report reads
# (DATABASE_REPLICA_URL; docs/scaling.md).
#
# 1. On the first start (empty data directory) clone the primary with pg_basebackup: -R writes
#    standby.signal and primary_conninfo, -S uses a physical replication slot so the primary keeps the
#    WAL this replica has not received yet (bounded by the primary's max_slot_wal_keep_size).
# 2. Then run the official image's entrypoint, which starts postgres on the existing data directory.
set -euo pipefail
: "${REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD: the password of the primary's replicator role}"
PRIMARY_HOST="${PRIMARY_HOST:-postgres}"
REPLICATION_USER="${REPLICATION_USER:-replicator}"
REPLICATION_SLOT="${REPLICATION_SLOT:-replica_1}"
export PGPASSWORD="$REPLICATION_PASSWORD"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown -R postgres:postgres "$(dirname "$PGDATA")"
    chmod 700 "$PGDATA"
    until gosu postgres pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do
        echo "replica: waiting for the primary at $PRIMARY_HOST"
        sleep 2
    done
    slot_exists=$(gosu postgres psql -h "$PRIMARY_HOST" -U "$REPLICATION_USER" -d postgres -tAc \
        "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$REPLICATION_SLOT'")
    create_slot=(--create-slot)
    [ "$slot_exists" = "1" ] && create_slot=()
    gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U "$REPLICATION_USER" -D "$PGDATA" \
        --wal-method=stream --write-recovery-conf --slot="$REPLICATION_SLOT" "${create_slot[@]}" \
        --checkpoint=fast --progress
fi

# hot_standby_feedback: long report queries are not cancelled by the primary's vacuum (at the price of
# some bloat on the primary while they run); max_standby_streaming_delay bounds how long replay waits.
exec docker-entrypoint.sh postgres -c hot_standby=on -c hot_standby_feedback=on \
    -c max_standby_streaming_delay=300s
