"""The demo compound: buildings, households, staff for every role, price list and sample cases.

Seeding is idempotent: it runs once per database and is skipped when the demo compound exists. It
never goes into a database that holds a real compound: its fifteen accounts share the password
`demo`, and `scripts/run.sh` always passes --demo (D147).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import insert, select, update

from server.auth.passwords import hash_password
from server.domain.roles import ROLE_LABELS_ZH, Role
from server.services.accounts import create_user, ensure_compound
from server.storage.db import Database
from server.storage.schema import buildings, compounds, people, units

DEMO_COMPOUND = "cmp_demo"
DEMO_PASSWORD = "demo"

# username, display name, roles. The security manager and the guard captain are there for the emergency
# directory (R-EM-2, D89): the panel names and calls the people it summons.
DEMO_STAFF: list[tuple[str, str, list[Role]]] = [
    ("dispatcher", "王调度", [Role.DISPATCHER]),
    ("frontdesk", "李前台", [Role.FRONT_DESK]),
    ("control", "赵中控", [Role.CONTROL_ROOM]),
    ("lead", "陈班长", [Role.TEAM_LEAD]),
    ("tech", "张师傅", [Role.TECHNICIAN]),
    ("tech2", "刘师傅", [Role.TECHNICIAN]),
    ("cleaner", "周阿姨", [Role.CLEANER]),
    ("guard", "孙护卫", [Role.GUARD]),
    ("manager", "钱经理", [Role.MANAGER]),
    ("deputy", "吴副总", [Role.DEPUTY_GM]),
    ("gm", "郑总经理", [Role.GENERAL_MANAGER]),
    ("engineering", "冯工程", [Role.ENGINEERING]),
    ("cashier", "何收银", [Role.CASHIER]),
    ("security", "蒋保安经理", [Role.GUARD]),
    ("guardcap", "韩队长", [Role.GUARD]),
]

# R-EM-2 (D89): each demo person's own number, so the emergency panel's tap-to-call reaches someone
# (the technician keeps the number the field-refusal tests know him by); anyone not listed: none.
DEMO_PHONES: dict[str, str] = {
    "dispatcher": "13900000001", "frontdesk": "13900000002", "control": "13900000003", "lead": "13900000004",
    "tech": "13900000000", "tech2": "13900000006", "cleaner": "13900000007", "guard": "13900000008",
    "manager": "13900000009", "deputy": "13900000010", "gm": "13900000011", "engineering": "13900000012",
    "cashier": "13900000013", "security": "13900000014", "guardcap": "13900000015",
}

# R-EM-2 (D89): the posts summoned to the scene, as the demo compound fills them. Nobody holds the
# elevator captain's post (the lifts are under a maintenance contract): the panel shows that too.
DEMO_POSTS: dict[str, list[str]] = {
    "security": ["security_manager"],
    "engineering": ["engineering_manager"],
    "guardcap": ["guard_captain"],
    "lead": ["repair_lead"],
    "guard": ["guard_shift_lead"],
}

# The service centre's and the control room's numbers (fixed lines; the staff's own are mobiles).
DEMO_SERVICE_CENTRE_PHONE = "0755-86000001"
DEMO_CONTROL_ROOM_PHONE = "0755-86000002"

# building, units per floor, floors
BUILDINGS = [("1栋", 2, 6), ("2栋", 2, 6), ("3栋", 4, 3)]

# The compound's gates: code (what slips and the QR carry), name (what people read). The demo slips
# name N and S.
DEMO_GATES = [("N", "北门"), ("S", "南门"), ("E", "东门"), ("B1", "地库出口")]

HOUSEHOLDS = [
    # unit label, name, relation, registered
    ("1栋-101", "黄业主", "owner", True),
    ("1栋-101", "黄小明", "household", True),
    ("1栋-101", "马保姆", "nanny", False),
    ("1栋-202", "林业主", "owner", True),
    ("1栋-202", "林太太", "household", True),
    ("2栋-301", "杨租户", "tenant", False),
    ("2栋-301", "高业主", "owner", True),
    ("2栋-502", "谢业主", "owner", True),
    ("3栋-104", "罗业主", "owner", True),
]


class DemoSeed(StrEnum):
    CREATED = "created"  # seeded now, into a database that held no compound
    PRESENT = "present"  # seeded before: nothing done
    # Another compound is here (a real one, the operator's): the demo's shared-password accounts
    # are not added next to it.
    REFUSED = "refused"


DEMO_MESSAGES = {
    DemoSeed.CREATED: "演示小区已创建 / demo compound created",
    DemoSeed.PRESENT: "演示小区已存在 / demo compound present",
    DemoSeed.REFUSED: "数据库中已有小区，未添加演示小区及其演示账号（密码 demo）/ this database already holds a "
                      "compound: the demo compound and its demo logins (password demo) were not added",
}


def demo_logins() -> list[str]:
    """The start banner's lines naming every demo login: built from DEMO_STAFF, as README's table is
    checked against it (tests/integration/test_setup_cli.py), so neither leaves anyone out."""
    main = {"dispatcher", "manager", "tech", "cleaner", "guard"}
    first = [f"{u} {ROLE_LABELS_ZH[r[0]]}" for u, _, r in DEMO_STAFF if u in main]
    rest = [u for u, _, _ in DEMO_STAFF if u not in main]
    return [
        f"演示账号 / demo logins (password: {DEMO_PASSWORD}):",
        "  " + " · ".join(first),
        "  also: " + " ".join(rest),
    ]


async def seed_demo(db: Database, *, sample_cases: bool = True) -> DemoSeed:
    """Seed once, and only into a database holding no compound at all.

    `sample_cases=False` leaves out the cases in progress (tests start from an empty case book).
    """
    async with db.read() as conn:
        present = set((await conn.execute(select(compounds.c.id))).scalars())
    if DEMO_COMPOUND in present:
        return DemoSeed.PRESENT
    if present:
        return DemoSeed.REFUSED
    async with db.transaction() as uow:
        conn = uow.conn
        await ensure_compound(conn, uow.now, name="翠湖花园（演示）", compound_id=DEMO_COMPOUND)
        # The compound's own numbers on every phone's emergency sheet (R-EM-2; the control room at night, R-SH-1).
        await conn.execute(update(compounds).where(compounds.c.id == DEMO_COMPOUND).values(
            service_centre_phone=DEMO_SERVICE_CENTRE_PHONE, control_room_phone=DEMO_CONTROL_ROOM_PHONE))
        unit_ids: dict[str, str] = {}
        for b_index, (bname, per_floor, floors) in enumerate(BUILDINGS, start=1):
            bid = f"bld_{b_index}"
            await conn.execute(insert(buildings).values(id=bid, compound_id=DEMO_COMPOUND, name=bname))
            for floor in range(1, floors + 1):
                for n in range(1, per_floor + 1):
                    label = f"{bname}-{floor}{n:02d}"
                    uid = f"unit_{b_index}_{floor}{n:02d}"
                    unit_ids[label] = uid
                    await conn.execute(
                        insert(units).values(
                            id=uid, compound_id=DEMO_COMPOUND, building_id=bid, floor=floor, label=label
                        )
                    )
        for i, (label, name, relation, registered) in enumerate(HOUSEHOLDS, start=1):
            await conn.execute(
                insert(people).values(
                    id=f"psn_{i}", compound_id=DEMO_COMPOUND, unit_id=unit_ids[label], name=name,
                    relation=relation, registered=registered, phone=f"1380000{i:04d}",
                )
            )
        from server.services.gate import GateIn, GatesIn, set_gates_in

        await set_gates_in(uow, DEMO_COMPOUND, GatesIn(gates=[GateIn(code=c, name=n) for c, n in DEMO_GATES]))
    # One Argon2 hash for the shared demo password: hashing is deliberately slow.
    shared_hash = hash_password(DEMO_PASSWORD)
    for username, display, roles in DEMO_STAFF:
        await create_user(
            db, username=username, password=DEMO_PASSWORD, display_name=display, roles=roles,
            compound_id=DEMO_COMPOUND, user_id=f"usr_{username}", phone=DEMO_PHONES.get(username, ""),
            password_hash=shared_hash, posts=DEMO_POSTS.get(username, []),
        )
    from server import demo_content

    await demo_content.seed(db, sample_cases=sample_cases)
    return DemoSeed.CREATED
