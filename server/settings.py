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
    # SQL statements to the log, their parameters hidden (they carry password hashes and keys).
    log_sql: bool = False
    # One log line per request (method, path without query, status, ms, user id); `serve` shows it.
    access_log: bool = True
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


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# The drivers this server ships; a bare scheme means the shipped driver (D-ops-robust).
_URL_SCHEMES = {
    "postgresql+asyncpg://": "postgresql+asyncpg://",
    "postgresql://": "postgresql+asyncpg://",
    "postgres://": "postgresql+asyncpg://",
    "sqlite+aiosqlite:///": "sqlite+aiosqlite:///",
    "sqlite:///": "sqlite+aiosqlite:///",
}
# name: (field, lowest, highest or None)
_INTS = {
    "ESTATEDESK_PORT": ("port", 1, 65535),
    # A login or a push of a few mutations needs some kilobytes; below that nothing would work.
    "ESTATEDESK_MAX_BODY_BYTES": ("max_body_bytes", 4096, None),
    "ESTATEDESK_TOKEN_IDLE_DAYS": ("token_idle_days", 1, None),
    "ESTATEDESK_SQLITE_MAX_PAGE_COUNT": ("sqlite_max_page_count", 0, None),
}
_BOOLS = {
    "ESTATEDESK_PUSH_ALLOW_HTTP_LOOPBACK": "push_allow_http_loopback",
    "ESTATEDESK_RUN_SCHEDULER": "run_scheduler",
    "ESTATEDESK_LOG_SQL": "log_sql",
    "ESTATEDESK_ACCESS_LOG": "access_log",
}


class SettingsError(ValueError):
    """One or more ESTATEDESK_* values cannot be used; str() names each, in Chinese and English."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _bool(v: str) -> bool | None:
    w = v.strip().lower()
    return True if w in _TRUE else False if w in _FALSE else None


def _int(name: str, v: str, low: int, high: int | None) -> tuple[int | None, str]:
    span_zh = f"从 {low} 到 {high}" if high is not None else f"从 {low} 起"
    span_en = f"from {low} to {high}" if high is not None else f"from {low} up"
    try:
        n = int(v.strip())
    except ValueError:
        n = None
    if n is None or n < low or (high is not None and n > high):
        return None, f"{name}={v}：应为整数，{span_zh} / must be a whole number {span_en}"
    return n, ""


def normalise_database_url(v: str) -> str | None:
    """The URL with the shipped driver named, or None when it is not a database this server uses."""
    for scheme, driver in _URL_SCHEMES.items():
        if v.startswith(scheme) and len(v) > len(scheme):
            return driver + v[len(scheme):]
    return None


def _redact(url: str) -> str:
    # Never repeat a password into a terminal or a log: keep the scheme and what follows the "@".
    if "://" in url and "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url


def from_env(environ: dict[str, str] | None = None, **overrides) -> Settings:
    """Settings from the environment; raises SettingsError naming every value that cannot be used."""
    env = os.environ if environ is None else environ
    values: dict = {}
    problems: list[str] = []
    if v := env.get("ESTATEDESK_DATABASE_URL"):
        url = normalise_database_url(v.strip())
        if url is None:
            problems.append(
                f"ESTATEDESK_DATABASE_URL={_redact(v)}：应为 postgresql+asyncpg://用户@主机/库名 或 "
                "sqlite+aiosqlite:///文件路径 / must be postgresql+asyncpg://user@host/db (postgresql:// is "
                "read as that) or sqlite+aiosqlite:///path/to/file"
            )
        else:
            values["database_url"] = url
    if v := env.get("ESTATEDESK_DATA_DIR"):
        values["data_dir"] = Path(v)
    if v := env.get("ESTATEDESK_PWA_DIR"):
        values["pwa_dir"] = Path(v)
    if v := env.get("ESTATEDESK_HOST"):
        values["host"] = v
    for name, (field, low, high) in _INTS.items():
        if v := env.get(name):
            n, problem = _int(name, v, low, high)
            if problem:
                problems.append(problem)
            else:
                values[field] = n
    if v := env.get("ESTATEDESK_ALLOWED_HOSTS"):
        hosts = tuple(h.strip() for h in v.split(",") if h.strip())
        if not hosts:
            problems.append(f"ESTATEDESK_ALLOWED_HOSTS={v}：至少列出一个主机名（逗号分隔，* 表示任意） / "
                            "must list at least one host name (comma-separated; * for any)")
        values["allowed_hosts"] = hosts
    if v := env.get("ESTATEDESK_PUSH_SUBJECT"):
        values["push_subject"] = v
    for name, field in _BOOLS.items():
        if v := env.get(name):
            b = _bool(v)
            if b is None:
                problems.append(f"{name}={v}：应为 true/false（或 1/0、yes/no、on/off） / "
                                "must be true or false (or 1/0, yes/no, on/off)")
            else:
                values[field] = b
    if problems:
        raise SettingsError(problems)
    values.update(overrides)
    return Settings(**values)
