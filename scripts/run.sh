#!/usr/bin/env bash
# The run command: install what is needed, then serve the demo compound on embedded SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
ensure_python_env ""
build_pwa
exec .venv/bin/python -m server serve --demo --host "${ESTATEDESK_HOST:-127.0.0.1}" --port "${ESTATEDESK_PORT:-8000}"
