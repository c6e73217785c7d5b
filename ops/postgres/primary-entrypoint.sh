#!/bin/bash
# Primary: make sure the WAL archive volume belongs to `postgres` (a fresh named volume mounted on a
# path the image does not have is root-owned), then hand over to the image's own entrypoint.
set -euo pipefail
install -d -o postgres -g postgres -m 0700 /var/lib/postgresql/wal-archive
exec docker-entrypoint.sh "$@"
