"""Command line: `python -m server serve|create-user|migrate|verify-audit|backup|restore`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import socket
import sqlite3
import sys
import time
from pathlib import Path

from server.settings import from_env


def _tune_gc() -> None:
    """Collect less often, and never rescan what start-up built (D19).

    A push of 100 mutations allocates tens of thousands of short-lived objects, nearly all freed by
    reference counting; at CPython's default threshold (700) the collector runs dozens of times per
    push, each pass walking every young object, and the full passes walk the app's whole start-up
    heap (routes, schemas, SQLAlchemy metadata). Freezing that heap and raising the first threshold
    cut a push's time by about a fifth here; cyclic garbage is still collected, just in bigger steps.
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is announced: a busy port is a clear error, not
    a "running at" banner followed by a bind failure from deep inside the web server."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: restart at once
        sock.bind((host.strip("[]"), port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    # --host/--port win over ESTATEDESK_HOST/_PORT, which win over the defaults (127.0.0.1:8000).
    given = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = from_env(**given)
    url = settings.effective_database_url

    async def prepare() -> str | None:
        await upgrade(url)
        if args.demo:
            from server.demo import seed_demo

            db = Database(url)
            try:
                return await seed_demo(db)
            finally:
                await db.dispose()
        return None

    try:
        sock = _listen(settings.host, settings.port)
    except OSError as e:
        print(f"无法监听 {settings.host}:{settings.port}（{e.strerror or e}）。端口被占用时请换一个：--port 8001 或 "
              f"ESTATEDESK_PORT=8001 / cannot listen on {settings.host}:{settings.port} ({e.strerror or e}); "
              "if the port is taken, choose another with --port or ESTATEDESK_PORT", file=sys.stderr)
        return 1
    demo = asyncio.run(prepare())
    if demo is not None:
        from server.demo import DEMO_MESSAGES

        print(DEMO_MESSAGES[demo])
    print()
    print(f"EstateDesk 运行于 / running at: http://{settings.host}:{settings.port}/")
    print(f"数据库 / database: {settings.dialect} ({url.split('@')[-1]})")
    if demo in ("created", "present"):
        from server.demo import demo_logins

        print("\n".join(demo_logins()))
    print(flush=True)
    app = create_app(settings, migrate=False)
    _tune_gc()
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=True)
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _create_user(args: argparse.Namespace) -> int:
    from server.domain.accounts import MIN_PASSWORD_LENGTH
    from server.domain.errors import DomainError
    from server.services.accounts import create_user
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    settings = from_env()
    password = args.password or getpass.getpass("密码 / password: ")
    if len(password) < MIN_PASSWORD_LENGTH:
        print(f"密码至少 {MIN_PASSWORD_LENGTH} 位 / password must have at least {MIN_PASSWORD_LENGTH} characters", file=sys.stderr)
        return 2

    async def run() -> str:
        await upgrade(settings.effective_database_url)
        db = Database(settings.effective_database_url)
        try:
            return await create_user(
                db, username=args.username, password=password, display_name=args.display_name or args.username,
                roles=args.role, phone=args.phone or "", posts=args.post or [],
            )
        finally:
            await db.dispose()

    try:
        uid = asyncio.run(run())
    except DomainError as e:
        print(f"{e.refusal.zh} / {e.refusal.en}", file=sys.stderr)
        return 1
    print(f"created user {args.username} ({uid})")
    return 0


def _migrate(_: argparse.Namespace) -> int:
    from server.storage.migrate import upgrade

    asyncio.run(upgrade(from_env().effective_database_url))
    print("migrated")
    return 0


def _verify_audit(_: argparse.Namespace) -> int:
    from server.audit import verify_chain
    from server.storage.db import Database

    async def run():  # noqa: ANN202
        db = Database(from_env().effective_database_url)
        try:
            async with db.read() as conn:
                return await verify_chain(conn)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    if report.ok:
        print(f"audit chain intact: {report.entries} entries; head {report.head}")
        return 0
    print(f"audit chain BROKEN at entry id {report.first_bad_id} (after {report.entries} good entries)")
    return 1


def _sqlite_path() -> Path | None:
    settings = from_env()
    if settings.dialect != "sqlite":
        print("backup/restore here are for SQLite; for PostgreSQL use scripts/backup_pg.sh (pg_dump/pg_restore)",
              file=sys.stderr)
        return None
    return Path(settings.effective_database_url.split(":///", 1)[1])


def _check_copy(path: Path) -> str | None:
    """None when `path` is an intact EstateDesk database, else what is wrong with it."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = con.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            return f"integrity_check: {result}"
        if con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'").fetchone()[0] != 1:
            return "not an EstateDesk database (no alembic_version table)"
        return None
    except sqlite3.DatabaseError as e:
        return str(e)
    finally:
        con.close()


def _copy(src: Path, dst: Path) -> None:
    # SQLite's online backup API: a consistent snapshot even while servers write (it restarts
    # if a writer changes a page mid-copy), and it writes through the destination's own pager, so
    # the destination's WAL is handled correctly. Copying the file could miss WAL frames.
    s = sqlite3.connect(src)
    d = sqlite3.connect(dst)
    try:
        s.execute("PRAGMA busy_timeout=30000")
        with d:
            s.backup(d, pages=1024)
    finally:
        d.close()
        s.close()


def _backup(args: argparse.Namespace) -> int:
    db = _sqlite_path()
    if db is None:
        return 2
    if not db.exists():
        print(f"no database at {db}", file=sys.stderr)
        return 1
    target = Path(args.path)
    tmp = target.with_name(target.name + ".partial")
    tmp.unlink(missing_ok=True)
    _copy(db, tmp)
    problem = _check_copy(tmp)
    if problem:
        tmp.unlink(missing_ok=True)
        print(f"backup failed its check: {problem}", file=sys.stderr)
        return 1
    tmp.replace(target)
    print(f"backup written: {target} ({target.stat().st_size} bytes, integrity ok)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    db = _sqlite_path()
    if db is None:
        return 2
    source = Path(args.path)
    problem = _check_copy(source) if source.exists() else f"no file at {source}"
    if problem:
        print(f"refusing to restore: {problem}", file=sys.stderr)
        return 1
    if db.exists():
        # Keep what is being replaced: a restore onto the wrong file must be undoable.
        kept = db.with_name(f"{db.stem}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}{db.suffix}")
        _copy(db, kept)
        print(f"current database kept as {kept}")
    db.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, db)
    _migrate(args)  # an older backup is brought up to the running code's schema
    print(f"restored {source} -> {db}; start the server again")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m server", description="EstateDesk server")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the server (migrates first)")
    s.add_argument("--host", help="listen address (default ESTATEDESK_HOST, else 127.0.0.1)")
    s.add_argument("--port", type=int, help="listen port (default ESTATEDESK_PORT, else 8000)")
    s.add_argument("--demo", action="store_true", help="seed the demo compound once")
    s.set_defaults(func=_serve)
    c = sub.add_parser("create-user", help="create a staff account (e.g. the first manager)")
    c.add_argument("username")
    c.add_argument("--role", action="append", default=None, help="role (repeatable); default manager")
    c.add_argument("--display-name")
    c.add_argument("--phone", help="the number the desk calls this person on (tap to call)")
    c.add_argument("--post", action="append", default=None,
                   help="emergency post held (repeatable): security_manager, engineering_manager, guard_captain, "
                        "elevator_captain, repair_lead, guard_shift_lead")
    c.add_argument("--password", help="omit to be asked")
    c.set_defaults(func=_create_user)
    m = sub.add_parser("migrate", help="bring the database schema up to date")
    m.set_defaults(func=_migrate)
    v = sub.add_parser("verify-audit", help="verify the audit trail's hash chain")
    v.set_defaults(func=_verify_audit)
    b = sub.add_parser("backup", help="SQLite: online backup to PATH (safe while the server runs)")
    b.add_argument("path")
    b.set_defaults(func=_backup)
    r = sub.add_parser("restore", help="SQLite: replace the database with the backup at PATH (server stopped)")
    r.add_argument("path")
    r.set_defaults(func=_restore)
    args = p.parse_args(argv)
    if getattr(args, "role", None) is None and args.cmd == "create-user":
        args.role = ["manager"]
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
