"""Command line: `python -m server serve|create-user|create-compound|list-compounds|import-units|migrate|
verify-audit|backup|restore`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import socket
import sqlite3
import sys
import time
from pathlib import Path

from server.settings import Settings, SettingsError, from_env


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


_WILDCARDS = ("0.0.0.0", "::", "[::]")


def _port(v: str) -> int:
    try:
        n = int(v)
    except ValueError:
        n = 0
    if not 1 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"端口应为 1 到 65535 的整数 / must be a whole number from 1 to 65535: {v}")
    return n


def _database_problem(settings: Settings) -> str | None:
    """Why the configured database cannot be opened, in words naming the setting; None when it can."""
    url = settings.effective_database_url
    if settings.dialect == "sqlite":
        path = Path(url.split(":///", 1)[1])
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Try a write rather than os.access: it also catches a read-only mount, and root.
            probe = path.parent / f".estatedesk-write-check-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            return (f"数据目录不可用：{path.parent}（{e.strerror or e}）。请检查 ESTATEDESK_DATA_DIR 及其权限 / "
                    f"the data directory {path.parent} cannot be written ({e.strerror or e}); check "
                    "ESTATEDESK_DATA_DIR and its permissions")
        return None

    async def reach() -> None:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1), timeout=15)
        await conn.close()

    from server.settings import _redact

    try:
        asyncio.run(reach())
    except Exception as e:  # noqa: BLE001 - every way of failing to connect gets the same advice
        why = str(e) or type(e).__name__
        return (f"无法连接 PostgreSQL {_redact(url)}：{why}。请检查 ESTATEDESK_DATABASE_URL、数据库服务是否运行、数据库是否已创建 / "
                f"cannot open PostgreSQL {_redact(url)}: {why}; check ESTATEDESK_DATABASE_URL, that the server is "
                "running and that the database exists (createdb)")
    return None


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
    except (OSError, OverflowError) as e:
        e = e if isinstance(e, OSError) else OSError(str(e))
        print(f"无法监听 {settings.host}:{settings.port}（{e.strerror or e}）。端口被占用时请换一个：--port 8001 或 "
              f"ESTATEDESK_PORT=8001 / cannot listen on {settings.host}:{settings.port} ({e.strerror or e}); "
              "if the port is taken, choose another with --port or ESTATEDESK_PORT", file=sys.stderr)
        return 1
    if settings.dialect == "sqlite":
        server_lock = _server_lock(Path(url.split(":///", 1)[1]), exclusive=False)
        if server_lock is None:
            sock.close()
            print("正在恢复备份，请稍后再启动 / a restore is running on this database; start the server after it",
                  file=sys.stderr)
            return 1
    demo = asyncio.run(prepare())
    if demo is not None:
        from server.demo import DEMO_MESSAGES

        print(DEMO_MESSAGES[demo])
    print()
    print(f"EstateDesk 运行于 / running at: http://{settings.host}:{settings.port}/")
    if settings.host in _WILDCARDS and "*" not in settings.allowed_hosts:
        # Phones on the LAN use this machine's address; the Host check refuses it unless listed.
        print(f"其他设备用本机局域网地址访问时，请把该地址加入 ESTATEDESK_ALLOWED_HOSTS（现为 "
              f"{','.join(settings.allowed_hosts)}），例如 ESTATEDESK_ALLOWED_HOSTS=192.168.1.20,localhost / "
              "other devices reach this server by this machine's LAN address: add it to ESTATEDESK_ALLOWED_HOSTS "
              "(comma-separated), or their requests are refused with request.bad_host")
    print(f"数据库 / database: {settings.dialect} ({url.split('@')[-1]})")
    if demo in ("created", "present"):
        from server.demo import demo_logins

        print("\n".join(demo_logins()))
    print(flush=True)
    app = create_app(settings, migrate=False)
    _tune_gc()
    if settings.access_log:
        from server.access_log import with_access_log

        app = with_access_log(app)  # one line per request (ESTATEDESK_ACCESS_LOG=false turns it off)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", proxy_headers=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        # uvicorn has already shut down cleanly and re-raised the Ctrl-C; its traceback says nothing.
        print("已停止 / server stopped", file=sys.stderr)
    return 0


def _refusal_text(refusal) -> str:  # noqa: ANN001
    """A refusal for the terminal: both languages, and the choices or rows it names (never a stored value
    such as a password hash: refusals carry only what the checks put in them)."""
    lines = [f"{refusal.zh} / {refusal.en}"]
    d = refusal.details
    if d.get("roles") and refusal.code == "user.unknown_role":
        lines.append("角色 / roles: " + ", ".join(d["roles"]))
    if d.get("posts") and refusal.code == "user.unknown_post":
        lines.append("岗位 / posts: " + ", ".join(d["posts"]))
    if "compounds" in d:
        lines.append("小区 / compounds:" if d["compounds"] else "（还没有小区 / no compound yet: create-compound）")
        lines += [f"  {c}" for c in d["compounds"]]
    lines += [f"  {e}" for e in d.get("errors", [])]
    return "\n".join(lines)


def _run_db(work):  # noqa: ANN001, ANN202
    """Migrate, then run `work(db)`; a refusal is printed (exit 1), never a traceback."""
    from server.domain.errors import DomainError
    from server.storage.db import Database
    from server.storage.migrate import upgrade

    url = from_env().effective_database_url

    async def run():  # noqa: ANN202
        await upgrade(url)
        db = Database(url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return 0, asyncio.run(run())
    except DomainError as e:
        print(_refusal_text(e.refusal), file=sys.stderr)
        return 1, None


def _create_user(args: argparse.Namespace) -> int:
    from server.domain import accounts as acc
    from server.services.accounts import create_user

    username, display = args.username, (args.display_name or args.username).strip()
    # The checks that need no database first: a typo in a role is not met after typing a password.
    refusal = (acc.check_username(username) or acc.check_roles(args.role)
               or acc.check_details(display_name=display, phone=args.phone or "", posts=args.post or []))
    if refusal is not None:
        print(_refusal_text(refusal), file=sys.stderr)
        return 1
    password = args.password or getpass.getpass("密码 / password: ")
    if (refusal := acc.check_password(password)) is not None:
        print(f"{refusal.zh} / {refusal.en}", file=sys.stderr)
        return 2
    code, uid = _run_db(lambda db: create_user(
        db, username=username, password=password, display_name=display, roles=args.role,
        phone=args.phone or "", posts=args.post or [], compound_id=args.compound))
    if code == 0:
        print(f"created user {username} ({uid})")
    return code


def _create_compound(args: argparse.Namespace) -> int:
    from server.services.setup import create_compound

    code, cid = _run_db(lambda db: create_compound(db, name=args.name, time_zone=args.timezone))
    if code == 0:
        print(cid)
    return code


def _list_compounds(_: argparse.Namespace) -> int:
    from server.services.setup import list_compounds

    code, rows = _run_db(list_compounds)
    if code == 0 and not rows:
        print("还没有小区，请用 create-compound 创建 / no compounds yet: create one with create-compound")
    for r in rows or []:
        print(f"{r.id}\t{r.name}\t{r.time_zone}\tbuildings={r.buildings} units={r.units} staff={r.staff}")
    return code


def _read_table(path: Path) -> list[list[object]]:
    """A CSV (UTF-8, or GB18030 as Excel saves it on a Chinese Windows) or the first sheet of an XLSX."""
    import csv

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        finally:
            wb.close()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")
    return [list(r) for r in csv.reader(text.splitlines())]


def _import_units(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from server.domain.errors import refuse
    from server.domain.setup import SetupReason, bad_rows, parse_register
    from server.services.setup import import_units

    path = Path(args.file)
    try:
        table = _read_table(path)
    except Exception as e:  # noqa: BLE001 -- any unreadable file is one clear line, not a traceback
        print(_refusal_text(refuse(SetupReason.IMPORT_BAD_FILE, f"无法读取 {path}（{type(e).__name__}: {e}）",
                                   f"cannot read {path} ({type(e).__name__}: {e})", kind="invalid")), file=sys.stderr)
        return 1
    parsed = parse_register(table)
    if parsed.errors:
        print(_refusal_text(bad_rows(parsed.errors)), file=sys.stderr)
        return 1

    async def work(db):  # noqa: ANN001, ANN202
        return await import_units(db, args.compound, parsed.rows)

    code, counts = _run_db(work)
    if code == 0:
        print(f"imported {len(parsed.rows)} units into {args.compound}: "
              + ", ".join(f"{k}={v}" for k, v in asdict(counts).items()))
    return code


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


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _backup(args: argparse.Namespace) -> int:
    db = _sqlite_path()
    if db is None:
        return 2
    if not db.exists():
        print(f"no database at {db}", file=sys.stderr)
        return 1
    target = Path(args.path)
    if target.resolve() in {db.resolve(), *(p.resolve() for p in _sidecars(db))}:
        print(f"不能备份到正在使用的数据库文件 {target} / refusing to write the backup over the live database "
              f"{target}; give another path", file=sys.stderr)
        return 1
    if not target.parent.is_dir() or target.is_dir():
        print(f"目标目录不存在或目标是目录：{target} / cannot write the backup to {target}: "
              f"{'it is a directory' if target.is_dir() else f'no directory {target.parent}'}", file=sys.stderr)
        return 1
    tmp = target.with_name(target.name + ".partial")
    try:
        for p in (tmp, *_sidecars(tmp)):
            p.unlink(missing_ok=True)
        _copy(db, tmp)
        # A backup is one self-contained file: out of WAL mode, so no -wal/-shm is left beside it.
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA journal_mode=DELETE")
        finally:
            con.close()
        problem = _check_copy(tmp)
    finally:
        for p in _sidecars(tmp):
            p.unlink(missing_ok=True)
    if problem:
        tmp.unlink(missing_ok=True)
        print(f"backup failed its check: {problem}", file=sys.stderr)
        return 1
    tmp.replace(target)
    print(f"backup written: {target} ({target.stat().st_size} bytes, integrity ok)")
    return 0


def _server_lock(db: Path, *, exclusive: bool):  # noqa: ANN202
    """The lock file beside a SQLite database: every `serve` holds it shared while it runs, `restore`
    takes it exclusive, so neither can run under the other. The kernel drops it when a process
    dies, so a crashed server leaves no stale lock. None when it is held the other way."""
    import fcntl

    f = open(db.with_name(db.name + ".serve-lock"), "a+b")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(f, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        f.close()
        return None
    return f


def _restore(args: argparse.Namespace) -> int:
    db = _sqlite_path()
    if db is None:
        return 2
    source = Path(args.path)
    problem = _check_copy(source) if source.exists() else f"no file at {source}"
    if problem:
        print(f"refusing to restore: {problem}", file=sys.stderr)
        return 1
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = _server_lock(db, exclusive=True)
    if lock is None:
        print(f"数据库正在被服务器使用，请先停止服务器 / refusing to restore: a server is using {db}; "
              "stop the server first (docs/deploy.md)", file=sys.stderr)
        return 1
    if db.exists():
        # Keep what is being replaced: a restore onto the wrong file must be undoable.
        kept = db.with_name(f"{db.stem}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}{db.suffix}")
        _copy(db, kept)
        print(f"current database kept as {kept}")
    db.parent.mkdir(parents=True, exist_ok=True)
    _copy(source, db)
    _migrate(args)  # an older backup is brought up to the running code's schema
    lock.close()
    print(f"restored {source} -> {db}; start the server again")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m server", description="EstateDesk server")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="run the server (migrates first)")
    s.add_argument("--host", help="listen address (default ESTATEDESK_HOST, else 127.0.0.1)")
    s.add_argument("--port", type=_port, help="listen port (default ESTATEDESK_PORT, else 8000)")
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
    c.add_argument("--compound", help="the compound's id (list-compounds); needed when there are several")
    c.set_defaults(func=_create_user)
    cc = sub.add_parser("create-compound", help="create a compound (prints its id)")
    cc.add_argument("--name", required=True)
    cc.add_argument("--timezone", default="Asia/Shanghai", help="IANA time zone (default Asia/Shanghai)")
    cc.set_defaults(func=_create_compound)
    lc = sub.add_parser("list-compounds", help="list the compounds: id, name, time zone, counts")
    lc.set_defaults(func=_list_compounds)
    iu = sub.add_parser("import-units", help="import buildings, units and the owner register from a CSV or XLSX")
    iu.add_argument("--compound", required=True, help="the compound's id (list-compounds)")
    iu.add_argument("file", help="columns: building, unit, [floor], owner name, owner phone, household members")
    iu.set_defaults(func=_import_units)
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
    try:
        # Settings and the database are checked before any command runs: a typo or an unreachable
        # database is one clear line naming the setting (exit 2), not a traceback from deep inside.
        problem = _database_problem(from_env()) if args.cmd not in ("backup", "restore") else None
    except SettingsError as e:
        problem = str(e)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
