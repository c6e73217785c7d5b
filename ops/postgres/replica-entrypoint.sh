#!/bin/bash
# Streaming read replica. On an empty data directory: wait for the primary, clone it with
# pg_basebackup (-R writes standby.signal and primary_conninfo; -S streams through the slot the
# primary created for this replica), then start it as a hot standby through the image's entrypoint.
# A data directory that already holds a cluster just starts and catches up from the primary.
set -euo pipefail
: "${PGDATA:?}" "${POSTGRES_PRIMARY_HOST:?}" "${POSTGRES_REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD}"
slot="${POSTGRES_REPLICATION_SLOT:-replica_1}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  install -d -o postgres -g postgres -m 0700 "$PGDATA"
  until pg_isready -h "$POSTGRES_PRIMARY_HOST" -p 5432 -q; do
    echo "replica: waiting for the primary at $POSTGRES_PRIMARY_HOST:5432"
    sleep 2
  done
  echo "replica: cloning the primary (pg_basebackup, slot $slot)"
  PGPASSWORD="$POSTGRES_REPLICATION_PASSWORD" gosu postgres \
    pg_basebackup -h "$POSTGRES_PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" \
      --wal-method=stream --write-recovery-conf --slot="$slot" --checkpoint=fast --progress
fi
exec docker-entrypoint.sh "$@"
