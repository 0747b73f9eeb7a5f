"""Setting up a real compound from the command line, and the demo kept out of real databases (D147).

The subcommands run in-process through `server.__main__.main`, against the engine under test."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from server.__main__ import main
from server.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys, monkeypatch, url: str, *args: str) -> tuple[int, str, str]:  # noqa: ANN001
    monkeypatch.setenv("ESTATEDESK_DATABASE_URL", url)
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _serve_banner(url: str, data_dir: Path) -> str:
    """What `serve --demo` prints before it starts answering (then it is stopped)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, ESTATEDESK_DATABASE_URL=url, ESTATEDESK_DATA_DIR=str(data_dir),
               ESTATEDESK_RUN_SCHEDULER="false", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "server", "serve", "--demo", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 120
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            # The banner ends with an empty line after the "running at" line and the logins.
            if any("running at" in x for x in lines) and line.strip() == "" and len(lines) > 2:
                break
            assert time.monotonic() < deadline, "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return "".join(lines)


async def _usernames(url: str) -> set[str]:
    from sqlalchemy import select

    from server.storage.db import Database
    from server.storage.schema import users

    db = Database(url)
    try:
        async with db.read() as conn:
            return set((await conn.execute(select(users.c.username))).scalars())
    finally:
        await db.dispose()


# --- the demo stays out of a real database ---------------------------------------------------


def test_serve_demo_adds_no_demo_accounts_next_to_a_real_compound(empty_db_url, tmp_path, capsys, monkeypatch):
    # The ops reviewer's repro: a real manager first, then run.sh's `serve --demo` (also what
    # docs/deploy.md has operators run after a restore). The demo's shared-password logins must not appear.
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "boss", "--password", "correct-horse-1")
    assert code == 0, err
    banner = _serve_banner(empty_db_url, tmp_path)
    assert "demo compound created" not in banner
    assert "were not added" in banner and "未添加演示小区" in banner
    after = banner.split("running at", 1)[1]
    assert "demo logins" not in after and "password" not in after
    import asyncio

    assert asyncio.run(_usernames(empty_db_url)) == {"boss"}


def test_serve_demo_on_an_empty_database_seeds_it_and_lists_every_readme_login(empty_db_url, tmp_path):
    banner = _serve_banner(empty_db_url, tmp_path)
    assert "demo compound created" in banner
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Demo logins", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    listed = set(re.findall(r"`([a-z0-9]+)`", table))
    from server.demo import DEMO_STAFF

    # One list: README's table, the seeded accounts and the banner name the same people.
    assert listed == {u for u, _, _ in DEMO_STAFF}
    logins = banner.split("demo logins", 1)[1]
    shown = set(re.findall(r"[a-z0-9]+", logins)) - {"password", "demo", "also"}
    assert listed <= shown, listed - shown
    import asyncio

    assert asyncio.run(_usernames(empty_db_url)) == listed


async def test_seed_demo_refuses_a_database_with_another_compound(empty_db_url):
    from server.demo import seed_demo
    from server.services.accounts import ensure_compound
    from server.storage.db import Database

    await upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        async with db.transaction() as uow:
            await ensure_compound(uow.conn, uow.now, name="金色家园")
        assert await seed_demo(db) == "refused"
    finally:
        await db.dispose()
    assert await _usernames(empty_db_url) == set()



# --- create-user: the staff page's checks, and the compound named -----------------------------


def test_create_user_refuses_what_the_staff_page_refuses_without_a_traceback(empty_db_url, capsys, monkeypatch):  # D129
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "boss", "--password", "correct-horse-1")
    assert code == 0, err
    cases = [
        (["dispatcherx"], "No such staff role: dispatcherx"),
        ([""], "A login name is 1–64 characters"),
        ([" sp ace "], "A login name is 1–64 characters"),
        (["x" * 200], "A login name is 1–64 characters"),
        (["Boss"], "That username is taken"),  # differs from boss only in letter case
        (["BOSS"], "That username is taken"),
    ]
    for argv, message in cases:
        if argv == ["dispatcherx"]:
            argv = ["frontdesk1", "--role", "dispatcherx"]
        code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", *argv, "--password", "correct-horse-2")
        assert code == 1, (argv, err)
        assert message in err, (argv, err)
        assert "Traceback" not in err and "$argon2" not in err
    # A bad role lists the roles there are.
    _, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "x1", "--role", "dispatcherx",
                     "--password", "correct-horse-2")
    assert "roles:" in err and "dispatcher" in err and "general_manager" in err
    # A bad phone, as on the staff page.
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "x2", "--phone", "call me",
                        "--password", "correct-horse-2")
    assert code == 1 and "not a phone number" in err
    import asyncio

    assert asyncio.run(_usernames(empty_db_url)) == {"boss"}


def test_create_user_with_several_compounds_must_be_told_which(empty_db_url, capsys, monkeypatch):
    code, north, err = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "北苑")
    assert code == 0, err
    code, south, err = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "南苑")
    assert code == 0, err
    north, south = north.strip(), south.strip()
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "boss", "--password", "correct-horse-1")
    assert code == 1 and "--compound" in err
    assert north in err and "北苑" in err and south in err and "南苑" in err  # the choices listed
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "boss", "--password", "correct-horse-1",
                        "--compound", "cmp_nope")
    assert code == 1 and "No such compound: cmp_nope" in err and south in err
    code, out, err = _run(capsys, monkeypatch, empty_db_url, "create-user", "boss", "--password", "correct-horse-1",
                          "--compound", south)
    assert code == 0, err
    import asyncio

    from sqlalchemy import select

    from server.storage.db import Database
    from server.storage.schema import users

    async def home() -> str:
        db = Database(empty_db_url)
        try:
            async with db.read() as conn:
                return (await conn.execute(select(users.c.compound_id).where(users.c.username == "boss"))).scalar()
        finally:
            await db.dispose()

    assert asyncio.run(home()) == south


# --- a real compound: created, listed, its units and owners imported --------------------------


def test_create_compound_checks_its_name_and_time_zone_and_lists_it(empty_db_url, capsys, monkeypatch):
    code, out, err = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", " 金色 家园 ",
                          "--timezone", "Asia/Urumqi")
    assert code == 0, err
    cid = out.strip()
    assert cid.startswith("cmp_")
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "金色 家园")
    assert code == 1 and "exists" in err
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "x", "--timezone", "Mars/Olympus")
    assert code == 1 and "No such time zone" in err and "Traceback" not in err
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "  ")
    assert code == 1 and "Give the compound a name" in err
    code, out, _ = _run(capsys, monkeypatch, empty_db_url, "list-compounds")
    assert code == 0 and out.splitlines() == [f"{cid}\t金色 家园\tAsia/Urumqi\tbuildings=0 units=0 staff=0"]


REGISTER = """building,unit,owner name,owner phone,household members
1栋,101,黄业主,13800001111,黄小明、黄小红
1栋,1203,林业主,13800002222,
2栋,301,,,
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


async def _register(url: str, compound_id: str) -> dict[str, tuple[int, str, list[tuple[str, str, str]]]]:
    """Each unit's floor, building and registered people (relation, name, phone)."""
    from sqlalchemy import select

    from server.storage.db import Database
    from server.storage.schema import buildings, people, units

    db = Database(url)
    try:
        async with db.read() as conn:
            rows = (await conn.execute(select(units.c.id, units.c.label, units.c.floor, buildings.c.name)
                                       .join(buildings, buildings.c.id == units.c.building_id)
                                       .where(units.c.compound_id == compound_id))).all()
            out = {}
            for r in rows:
                ppl = (await conn.execute(select(people.c.relation, people.c.name, people.c.phone).where(
                    people.c.unit_id == r.id, people.c.registered.is_(True)).order_by(people.c.relation,
                                                                                      people.c.name))).all()
                out[r.label] = (r.floor, r.name, [tuple(p) for p in ppl])
            return out
    finally:
        await db.dispose()


def test_import_units_stores_the_register_and_a_second_run_changes_nothing(empty_db_url, tmp_path, capsys,
                                                                             monkeypatch):  # R-RS-2
    _, cid, _ = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "金色家园")
    cid = cid.strip()
    f = _write(tmp_path, "units.csv", REGISTER)
    code, out, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(f))
    assert code == 0, err
    assert "buildings_created=2" in out and "units_created=3" in out and "people_added=4" in out
    import asyncio

    reg = asyncio.run(_register(empty_db_url, cid))
    assert reg == {
        "1栋-101": (1, "1栋", [("household", "黄小明", ""), ("household", "黄小红", ""), ("owner", "黄业主", "13800001111")]),
        "1栋-1203": (12, "1栋", [("owner", "林业主", "13800002222")]),
        "2栋-301": (3, "2栋", []),
    }
    code, out, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(f))
    assert code == 0, err
    assert "units_created=0" in out and "units_unchanged=3" in out and "people_added=0" in out
    assert asyncio.run(_register(empty_db_url, cid)) == reg
    # The flat changed hands and a child moved out: the file is the register for the units it lists.
    f2 = _write(tmp_path, "units2.csv", "building,unit,owner name,owner phone,household members\n"
                                        "1栋,101,黄业主,13800009999,黄小明\n2栋,301,杨业主,,\n")
    code, out, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(f2))
    assert code == 0, err
    assert "units_updated=2" in out and "people_added=1" in out and "people_updated=1" in out
    assert "people_deregistered=1" in out
    reg2 = asyncio.run(_register(empty_db_url, cid))
    assert reg2["1栋-101"][2] == [("household", "黄小明", ""), ("owner", "黄业主", "13800009999")]
    assert reg2["2栋-301"][2] == [("owner", "杨业主", "")]
    assert reg2["1栋-1203"] == reg["1栋-1203"]  # a unit the file does not list is left as it was
    _, out, _ = _run(capsys, monkeypatch, empty_db_url, "list-compounds")
    assert "buildings=2 units=3" in out


def test_import_units_reads_a_worksheet_with_chinese_headers_and_a_floor_column(empty_db_url, tmp_path, capsys,
                                                                                monkeypatch):
    import openpyxl

    _, cid, _ = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "金色家园")
    cid = cid.strip()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["楼栋", "房号", "楼层", "业主姓名", "业主电话", "家庭成员"])
    ws.append(["A座", "B1-01", -1, "周业主", "13800003333", "周太太; 周小宝"])
    ws.append(["A座", 101, None, "吴业主", None, None])  # a number cell; the floor read from the unit
    path = tmp_path / "units.xlsx"
    wb.save(path)
    code, out, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(path))
    assert code == 0, err
    import asyncio

    reg = asyncio.run(_register(empty_db_url, cid))
    assert reg["A座-B1-01"] == (-1, "A座", [("household", "周太太", ""), ("household", "周小宝", ""),
                                            ("owner", "周业主", "13800003333")])
    assert reg["A座-101"] == (1, "A座", [("owner", "吴业主", "")])


def test_import_units_with_bad_rows_names_each_and_stores_nothing(empty_db_url, tmp_path, capsys, monkeypatch):
    _, cid, _ = _run(capsys, monkeypatch, empty_db_url, "create-compound", "--name", "金色家园")
    cid = cid.strip()
    bad = _write(tmp_path, "bad.csv", "building,unit,owner name,owner phone,household members\n"
                                      "1栋,101,黄业主,13800001111,\n"   # row 2 fine
                                      ",102,林业主,,\n"                  # row 3: no building
                                      "1栋,大堂,,,\n"                    # row 4: no floor to be had
                                      "1栋,103,,13800002222,\n"         # row 5: phone without owner
                                      "1栋,104,马业主,call me,\n"        # row 6: not a phone
                                      "1栋,101,黄业主,,\n")              # row 7: row 2's unit again
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(bad))
    assert code == 1 and "nothing was imported" in err and "Traceback" not in err
    for n in (3, 4, 5, 6, 7):
        assert f"row {n}:" in err, (n, err)
    assert "row 2:" not in err
    import asyncio

    assert asyncio.run(_register(empty_db_url, cid)) == {}
    # A header it does not know, an unknown compound and a file that is not a spreadsheet: one line each.
    hdr = _write(tmp_path, "hdr.csv", "building,flat\n1栋,101\n")
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(hdr))
    assert code == 1 and "unknown column 'flat'" in err and "missing column 'unit'" in err
    good = _write(tmp_path, "good.csv", REGISTER)
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", "cmp_nope", str(good))
    assert code == 1 and "No such compound" in err and cid in err
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    code, _, err = _run(capsys, monkeypatch, empty_db_url, "import-units", "--compound", cid, str(junk))
    assert code == 1 and "cannot read" in err and "Traceback" not in err
    assert asyncio.run(_register(empty_db_url, cid)) == {}


def test_list_compounds_on_an_empty_database_says_there_are_none(empty_db_url, capsys, monkeypatch):  # D147
    code, out, _ = _run(capsys, monkeypatch, empty_db_url, "list-compounds")
    assert code == 0 and "create-compound" in out and "没有小区" in out
