"""Setting up a real compound (the CLI's create-compound, list-compounds and import-units; D147)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import msgspec
from sqlalchemy import func, insert, select, update

from server.domain.errors import DomainError, fail
from server.domain.setup import SetupReason, UnitRow, check_compound_name, check_time_zone
from server.ids import new_id
from server.services.accounts import ensure_compound
from server.storage.db import Database
from server.storage.schema import buildings, compounds, people, units, users


@dataclass(frozen=True)
class CompoundRow:
    id: str
    name: str
    time_zone: str
    buildings: int
    units: int
    staff: int


async def list_compounds(db: Database) -> list[CompoundRow]:
    async with db.read() as conn:
        rows = (await conn.execute(select(compounds.c.id, compounds.c.name, compounds.c.calendar)
                                   .order_by(compounds.c.created_at, compounds.c.id))).all()

        async def counts(table) -> dict[str, int]:  # noqa: ANN001
            q = select(table.c.compound_id, func.count()).group_by(table.c.compound_id)
            return {cid: n for cid, n in (await conn.execute(q)).all()}

        b, u, s = await counts(buildings), await counts(units), await counts(users)
    return [CompoundRow(id=r.id, name=r.name, time_zone=msgspec.json.decode(r.calendar).get("tz", ""),
                        buildings=b.get(r.id, 0), units=u.get(r.id, 0), staff=s.get(r.id, 0)) for r in rows]


async def create_compound(db: Database, *, name: str, time_zone: str) -> str:
    name = " ".join(name.split())
    if (refusal := check_time_zone(time_zone)) is not None:
        raise DomainError(refusal)
    async with db.transaction() as uow:
        taken = (await uow.conn.execute(select(compounds.c.name))).scalars()
        if (refusal := check_compound_name(name, taken)) is not None:
            raise DomainError(refusal)
        cid = await ensure_compound(uow.conn, uow.now, name=name, time_zone=time_zone)
        uow.audit(entity="compound", entity_id=cid, action="create", actor_id=None, actor_role=None, device_id=None,
                  compound_id=cid, data={"name": name, "time_zone": time_zone})
        return cid


def compound_choices(rows: list[tuple[str, str]]) -> list[str]:
    return [f"{cid}  {name}" for cid, name in rows]


async def resolve_compound(conn, compound_id: str | None) -> str | None:  # noqa: ANN001
    """The compound a command acts on: the one named, else the only one; None when there is none."""
    rows = [(r.id, r.name) for r in (await conn.execute(
        select(compounds.c.id, compounds.c.name).order_by(compounds.c.created_at, compounds.c.id))).all()]
    if compound_id is not None:
        if any(cid == compound_id for cid, _ in rows):
            return compound_id
        raise fail(SetupReason.COMPOUND_NOT_FOUND, f"没有这个小区：{compound_id}", f"No such compound: {compound_id}",
                   kind="not_found", compounds=compound_choices(rows))
    if len(rows) > 1:
        raise fail(SetupReason.COMPOUND_AMBIGUOUS, "数据库中有多个小区，请用 --compound 指定",
                   "This database holds several compounds: name one with --compound", kind="invalid",
                   compounds=compound_choices(rows))
    return rows[0][0] if rows else None


@dataclass
class ImportCounts:
    buildings_created: int = 0
    units_created: int = 0
    units_updated: int = 0
    units_unchanged: int = 0
    people_added: int = 0
    people_updated: int = 0
    # Owners and household members on record for a listed unit but not in the file: no longer registered
    # (a release slip no longer treats them as on the owner's record, R-RS-2), the row kept for history.
    people_deregistered: int = 0


async def import_units(db: Database, compound_id: str, rows: list[UnitRow]) -> ImportCounts:
    """Store a parsed register (server.domain.setup.parse_register) in one transaction: the file is the
    owner and household register of every unit it lists. Running it again with the same file changes nothing."""
    counts = ImportCounts()
    async with db.transaction() as uow:
        conn = uow.conn
        await resolve_compound(conn, compound_id)
        bld = {r.name: r.id for r in (await conn.execute(
            select(buildings.c.id, buildings.c.name).where(buildings.c.compound_id == compound_id))).all()}
        existing = {r.label.casefold(): r for r in (await conn.execute(
            select(units.c.id, units.c.label, units.c.floor, units.c.building_id)
            .where(units.c.compound_id == compound_id))).all()}
        for row in rows:
            if row.building not in bld:
                bld[row.building] = new_id("bld_")
                await conn.execute(insert(buildings).values(id=bld[row.building], compound_id=compound_id,
                                                            name=row.building))
                counts.buildings_created += 1
            unit = existing.get(row.label.casefold())
            changed = False
            if unit is None:
                unit_id = new_id("unit_")
                await conn.execute(insert(units).values(id=unit_id, compound_id=compound_id,
                                                        building_id=bld[row.building], floor=row.floor, label=row.label))
                counts.units_created += 1
            else:
                unit_id = unit.id
                if (unit.floor, unit.building_id, unit.label) != (row.floor, bld[row.building], row.label):
                    await conn.execute(update(units).where(units.c.id == unit_id).values(
                        floor=row.floor, building_id=bld[row.building], label=row.label))
                    changed = True
            changed = await _register(conn, compound_id, unit_id, row, counts) or changed
            if unit is not None:
                if changed:
                    counts.units_updated += 1
                else:
                    counts.units_unchanged += 1
        uow.audit(entity="compound", entity_id=compound_id, action="import_units", actor_id=None, actor_role=None,
                  device_id=None, compound_id=compound_id, data=asdict(counts))
    return counts


async def _register(conn, compound_id: str, unit_id: str, row: UnitRow, counts: ImportCounts) -> bool:  # noqa: ANN001
    """Make the unit's registered owner and household what the row says; whether anything changed."""
    wanted: list[tuple[str, str, str]] = []  # relation, name, phone
    if row.owner_name:
        wanted.append(("owner", row.owner_name, row.owner_phone))
    wanted += [("household", m, "") for m in row.household if m != row.owner_name]
    on_record = (await conn.execute(
        select(people.c.id, people.c.name, people.c.relation, people.c.phone, people.c.registered)
        .where(people.c.unit_id == unit_id, people.c.relation.in_(["owner", "household"]))
        .order_by(people.c.id))).all()
    changed = False
    matched: set[str] = set()
    for relation, name, phone in wanted:
        same = next((p for p in on_record if p.id not in matched and p.relation == relation and p.name == name), None)
        if same is None:
            await conn.execute(insert(people).values(id=new_id("psn_"), compound_id=compound_id, unit_id=unit_id,
                                                     name=name, relation=relation, registered=True, phone=phone))
            counts.people_added += 1
            changed = True
            continue
        matched.add(same.id)
        # A household member's phone is not in the file: the one on record is kept.
        new_phone = phone if relation == "owner" else (same.phone or "")
        if not same.registered or (same.phone or "") != new_phone:
            await conn.execute(update(people).where(people.c.id == same.id).values(registered=True, phone=new_phone))
            counts.people_updated += 1
            changed = True
    gone = [p.id for p in on_record if p.id not in matched and p.registered]
    if gone:
        await conn.execute(update(people).where(people.c.id.in_(gone)).values(registered=False))
        counts.people_deregistered += len(gone)
        changed = True
    return changed
