# Sourced by test.sh: start a throwaway PostgreSQL cluster (initdb -A trust in a temp dir) and
# export ESTATEDESK_TEST_PG_URL; stop_throwaway_pg removes it again.
PG_TMP=""
PG_BIN=""
start_throwaway_pg() {
  PG_BIN=$(pg_bindir)
  PG_TMP=$(mktemp -d /tmp/estatedesk-pg.XXXXXX)
  local port
  port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$PG_TMP"
    as=(runuser -u postgres --)
  fi
  "${as[@]}" "$PG_BIN/initdb" -D "$PG_TMP/data" -A trust -U postgres -E UTF8 >/dev/null
  # fsync off: a throwaway test cluster needs no crash safety, and it makes DDL-heavy tests fast.
  "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/log" -w start \
    -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  export ESTATEDESK_TEST_PG_URL="postgresql+asyncpg://postgres@127.0.0.1:$port/postgres"
  export ESTATEDESK_TEST_PG_CTL="$PG_BIN/pg_ctl"
  export ESTATEDESK_TEST_PG_DATA="$PG_TMP/data"
  echo "== 临时 PostgreSQL / throwaway PostgreSQL on port $port"
}

stop_throwaway_pg() {
  if [ -n "$PG_TMP" ] && [ -d "$PG_TMP/data" ]; then
    local as=()
    [ "$(id -u)" -eq 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}

# The machine's own cluster (127.0.0.1:5432): started if installed but stopped.
use_machine_pg() {
  if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters 2>/dev/null | grep -q down; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  if .venv/bin/python - <<'PY'
import asyncio, asyncpg, sys
async def main():
    c = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres", timeout=5)
    await c.close()
try:
    asyncio.run(main())
except Exception:
    sys.exit(1)
PY
  then
    export ESTATEDESK_TEST_PG_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
    return 0
  fi
  return 1
}
