#!/usr/bin/env bash
# The test command: installs what tests need, then runs every test. Any failure fails the command.
#   1. ruff   2. pytest on SQLite (unit + integration)   3. integration tests on PostgreSQL
#   4. eslint and the JavaScript tests (node --test)   5. Playwright e2e in Debian Chromium
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
source scripts/pg_throwaway.sh
ensure_python_env "[test]"
build_pwa
ensure_chromium
ensure_sqlite_shell
ensure_pdf_tools

echo "== ruff"
.venv/bin/ruff check .

echo "== pytest (SQLite)"
ESTATEDESK_TEST_DB=sqlite .venv/bin/pytest tests -q

echo "== pytest (PostgreSQL)"
if [ -z "${ESTATEDESK_TEST_PG_URL:-}" ]; then
  if pg_bindir >/dev/null || ensure_pg_binaries; then
    trap stop_throwaway_pg EXIT
    start_throwaway_pg
  fi
  if [ -z "${ESTATEDESK_TEST_PG_URL:-}" ] && ! use_machine_pg; then
    echo "PostgreSQL is not available: the PostgreSQL tests cannot run" >&2
    exit 1
  fi
fi
ESTATEDESK_TEST_DB=pg .venv/bin/pytest tests/integration -q

echo "== eslint (PWA: names used but never defined or imported)"
node_modules/.bin/eslint .

echo "== node --test (PWA modules)"
node --test pwa/test/

echo "== e2e (Playwright + Chromium)"
.venv/bin/pytest -c e2e/pytest.ini e2e -q
