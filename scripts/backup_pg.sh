#!/usr/bin/env bash
# PostgreSQL backup and restore for EstateDesk (docs/deploy.md "Backup and restore").
#   scripts/backup_pg.sh backup  FILE   pg_dump (custom format) of $ESTATEDESK_DATABASE_URL, checked
#   scripts/backup_pg.sh restore FILE   pg_restore into $ESTATEDESK_DATABASE_URL, which must be empty
# The URL is the server's own (postgresql+asyncpg://user@host:port/db); the driver part is dropped
# for the libpq tools. Restoring into an empty database (createdb) never mixes two schemas.
set -euo pipefail
cmd="${1:-}"; file="${2:-}"
if [ -z "$cmd" ] || [ -z "$file" ] || [ -z "${ESTATEDESK_DATABASE_URL:-}" ]; then
  echo "usage: ESTATEDESK_DATABASE_URL=postgresql+asyncpg://… $0 backup|restore FILE" >&2
  exit 2
fi
url="${ESTATEDESK_DATABASE_URL/postgresql+asyncpg:/postgresql:}"
bin=""
if ! command -v pg_dump >/dev/null 2>&1; then
  for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_dump" ] && bin="$d/"; done
fi
cd "$(dirname "$0")/.."

case "$cmd" in
  backup)
    # A consistent snapshot (one repeatable-read transaction) while the servers keep running.
    "${bin}pg_dump" --format=custom --no-owner --no-privileges --file "$file.partial" "$url"
    "${bin}pg_restore" --list "$file.partial" >/dev/null   # readable, complete archive
    mv "$file.partial" "$file"
    echo "backup written: $file ($(stat -c %s "$file") bytes)"
    ;;
  restore)
    tables=$("${bin}psql" -At -d "$url" -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    if [ "$tables" != "0" ]; then
      echo "refusing to restore: the target database has $tables tables; restore into an empty database" >&2
      echo "(createdb NEW, point ESTATEDESK_DATABASE_URL at it, restore, then switch the servers over)" >&2
      exit 1
    fi
    "${bin}pg_restore" --no-owner --no-privileges --single-transaction --exit-on-error -d "$url" "$file"
    # An older backup is brought up to the running code's schema.
    .venv/bin/python -m server migrate
    echo "restored $file"
    ;;
  *)
    echo "unknown command $cmd (backup | restore)" >&2
    exit 2
    ;;
esac
