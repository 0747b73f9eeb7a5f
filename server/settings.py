"""One settings object, read from ESTATEDESK_* environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    database_url: str = ""
    data_dir: Path = REPO_ROOT / "data"
    pwa_dir: Path = REPO_ROOT / "pwa"
    host: str = "127.0.0.1"
    port: int = 8000
    # Largest request body accepted (photos are re-encoded, so 8 MiB is generous).
    max_body_bytes: int = 8 * 1024 * 1024
    max_blob_bytes: int = 6 * 1024 * 1024
    # Hosts the server answers for (Host header); "*" allows any.
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "*.localhost", "[::1]")
    # A device token unused this long stops working; phones may stay offline for days.
    token_idle_days: int = 60
    push_subject: str = "mailto:ops@estatedesk.local"
    # Browsers' push services are always https. Plain http to this machine is only for a local test
    # push service; off by default, so a login cannot point the server's pushes at local ports.
    push_allow_http_loopback: bool = False
    run_scheduler: bool = True
    log_sql: bool = False
    # SQLite only, 0 = off: `PRAGMA max_page_count` on every connection, so the database cannot grow
    # past that many pages (a value below the current size caps it at the current size). It rehearses
    # "disk full" (writes fail with SQLITE_FULL, answered 503 + Retry-After) without filling a disk;
    # see docs/reliability.md "Load and faults".
    sqlite_max_page_count: int = 0

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'estatedesk.sqlite3'}"

    @property
    def dialect(self) -> str:
        return "postgresql" if self.effective_database_url.startswith("postgresql") else "sqlite"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


def _bool(v: str) -> bool:
    return v.strip().lower() in {"1", "true", "yes", "on"}


def from_env(environ: dict[str, str] | None = None, **overrides) -> Settings:
    env = os.environ if environ is None else environ
    values: dict = {}
    if v := env.get("ESTATEDESK_DATABASE_URL"):
        values["database_url"] = v
    if v := env.get("ESTATEDESK_DATA_DIR"):
        values["data_dir"] = Path(v)
    if v := env.get("ESTATEDESK_PWA_DIR"):
        values["pwa_dir"] = Path(v)
    if v := env.get("ESTATEDESK_HOST"):
        values["host"] = v
    if v := env.get("ESTATEDESK_PORT"):
        values["port"] = int(v)
    if v := env.get("ESTATEDESK_MAX_BODY_BYTES"):
        values["max_body_bytes"] = int(v)
    if v := env.get("ESTATEDESK_ALLOWED_HOSTS"):
        values["allowed_hosts"] = tuple(h.strip() for h in v.split(",") if h.strip())
    if v := env.get("ESTATEDESK_TOKEN_IDLE_DAYS"):
        values["token_idle_days"] = int(v)
    if v := env.get("ESTATEDESK_PUSH_SUBJECT"):
        values["push_subject"] = v
    if v := env.get("ESTATEDESK_PUSH_ALLOW_HTTP_LOOPBACK"):
        values["push_allow_http_loopback"] = _bool(v)
    if v := env.get("ESTATEDESK_RUN_SCHEDULER"):
        values["run_scheduler"] = _bool(v)
    if v := env.get("ESTATEDESK_LOG_SQL"):
        values["log_sql"] = _bool(v)
    if v := env.get("ESTATEDESK_SQLITE_MAX_PAGE_COUNT"):
        values["sqlite_max_page_count"] = int(v)
    values.update(overrides)
    return Settings(**values)
