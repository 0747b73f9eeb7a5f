# Sourced by run.sh and test.sh: installs what the project needs on a fresh Debian/Ubuntu machine.
# Idempotent and quick when everything is already there (stamps skip unchanged installs).

APT_UPDATED=0
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "需要安装 / please install: $*" >&2
    return 1
  fi
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then
    $sudo apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

pick_python() {
  for py in python3.13 python3.12 python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  echo "EstateDesk needs Python >= 3.11" >&2
  return 1
}

ensure_python_env() {
  local extra="$1"  # "" for run, "[test]" for tests
  local py
  py=$(pick_python)
  if [ ! -x .venv/bin/python ]; then
    if ! "$py" -m venv .venv 2>/dev/null; then
      apt_install python3-venv
      "$py" -m venv .venv
    fi
  fi
  local stamp=".venv/.installed$extra"
  local want
  want=$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
  # The test install is a superset of the run install: either stamp up to date will do for a run.
  if [ -z "$extra" ] && [ -f ".venv/.installed[test]" ] && [ "$(cat ".venv/.installed[test]")" = "$want" ]; then
    return 0
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "== 安装 Python 依赖 / installing Python packages"
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    # PYTHONWARNINGS reaches the build backend too: setuptools' editable-install banner is not news.
    PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q -c requirements.lock -e ".$extra"
    echo "$want" > "$stamp"
  fi
}

ensure_node() {
  if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
  fi
  # @noble/curves (the guard's offline slip verifier) declares Node >= 20.19; Debian 12's own
  # nodejs package is 18. Say so plainly rather than fail somewhere inside a build.
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "EstateDesk needs Node.js >= 20 (found $(node --version 2>/dev/null || echo none))." >&2
    echo "Debian 13 / Ubuntu 24.10 ship it as 'nodejs'; on older releases install Node 20 first." >&2
    return 1
  fi
}

build_pwa() {
  ensure_node
  local want
  want=$(sha256sum package-lock.json | cut -c1-16)
  if [ ! -d node_modules ] || [ ! -f node_modules/.estatedesk-stamp ] || [ "$(cat node_modules/.estatedesk-stamp)" != "$want" ]; then
    echo "== 安装前端依赖 / installing npm packages"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$want" > node_modules/.estatedesk-stamp
  fi
  node scripts/build_pwa.mjs
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "== 安装 Chromium / installing Debian chromium"
    apt_install chromium
  fi
  # The UI is Chinese first. A bare Debian has no CJK font, so Chromium would draw boxes in every
  # e2e screenshot; a small one (~10 MB) is enough to read them. Phones bring their own fonts.
  if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    echo "== 安装中文字体 / installing a CJK font for Chromium"
    apt_install fonts-wqy-zenhei || echo "(no CJK font installed: screenshots will show boxes)" >&2
  fi
}

pg_bindir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

# docs/deploy.md's backup commands use the sqlite3 shell; the operations tests run them.
ensure_sqlite_shell() {
  command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3
}

# The monthly report's print test reads the PDF Chromium prints (pdftotext, from poppler-utils).
ensure_pdf_tools() {
  command -v pdftotext >/dev/null 2>&1 || apt_install poppler-utils
}

ensure_pg_binaries() {
  if ! pg_bindir >/dev/null; then
    echo "== 安装 PostgreSQL / installing PostgreSQL binaries"
    apt_install postgresql
  fi
}
