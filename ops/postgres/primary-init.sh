#!/bin/bash
# Runs once, when the primary's data directory is first initialised (/docker-entrypoint-initdb.d):
# a login role for streaming replication and a physical slot per replica, so the primary keeps the
# WAL a replica has not received yet (bounded by max_slot_wal_keep_size).
set -euo pipefail
: "${POSTGRES_REPLICATION_PASSWORD:?set POSTGRES_REPLICATION_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v repl_password="$POSTGRES_REPLICATION_PASSWORD" -v slot="${POSTGRES_REPLICATION_SLOT:-replica_1}" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'repl_password';
SELECT pg_create_physical_replication_slot(:'slot');
SQL
# "all" in pg_hba.conf does not match replication connections: allow this role, with a password.
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
