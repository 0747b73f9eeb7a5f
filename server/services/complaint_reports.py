"""The yearly complaint analysis report per compound (客户投诉报告): compute it, keep the manager's analysis,
hand it to the deputy GM, who acknowledges or returns it (R-RV-5, R-RV-3, D130).

The year's complaints are flattened into report rows by the monthly report's own loader (one reading of a
stored case for both). A draft is computed live on every read and carries only its analysis and history;
handing it in freezes the figures handed in, which the deputy GM acknowledges as they are (as D103 freezes a
handed-in monthly report for the manager's signature).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from sqlalchemy import insert, select, update

from server.auth.principal import Principal
from server.domain import complaint_report as cr
from server.domain.cases import Kind
from server.domain.monthly_report import CATEGORY_LABELS
from server.domain.roles import Role
from server.services.acting import acting_role
from server.services.cases import compound_rules
from server.services.reports import load_rows, people_names
from server.storage.db import Database, UnitOfWork
from server.storage.tables_services import yearly_complaint_reports as table

_enc = msgspec.json.Encoder()
_dec = msgspec.json.Decoder(cr.YearlyComplaintReport)

Text = Annotated[str, msgspec.Meta(max_length=cr.MAX_TEXT)]


class AnalysisIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The manager's analysis: the causes found (原因分析) and the corrective measures (整改措施)."""

    cause_analysis: Text = ""
    corrective_actions: Text = ""

    def domain(self) -> cr.Analysis:
        return cr.Analysis(cause_analysis=self.cause_analysis, corrective_actions=self.corrective_actions)


class AcknowledgeIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    comment: Annotated[str, msgspec.Meta(max_length=2000)] = ""  # the deputy GM's words, if any


class ReturnIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=2000)]


async def _compute(uow: UnitOfWork, compound_id: str, year: int) -> cr.YearlyComplaintReport:
    tz = (await compound_rules(uow, compound_id)).calendar.zone
    start, end = cr.year_bounds(year, tz)
    rows = await load_rows(uow, compound_id, start, max(start, min(end, uow.now)), kinds=(Kind.COMPLAINT,))
    return cr.build_yearly_report(rows, year=year, tz=tz, as_of=uow.now)


async def _stored(uow: UnitOfWork, compound_id: str, year: int, *, lock: bool) -> cr.YearlyComplaintReport | None:
    """The stored report, its row locked until commit for a step (`lock`); a read takes no lock, so the page
    never waits for, nor holds back, a hand-in while it computes the year (as D103's monthly reads)."""
    q = select(table.c.doc).where(table.c.compound_id == compound_id, table.c.year == year)
    if lock:
        q = uow.for_update(q)
    row = (await uow.conn.execute(q)).first()
    return _dec.decode(row.doc) if row is not None else None


async def _current(uow: UnitOfWork, compound_id: str, year: int, *,
                   lock: bool) -> tuple[cr.YearlyComplaintReport, bool]:
    """The report as it stands, and whether a row is stored for it: handed in or acknowledged, as stored;
    a draft, fresh figures under its stored analysis and history."""
    stored = await _stored(uow, compound_id, year, lock=lock)
    if stored is not None and cr.frozen(stored):
        return stored, True
    fresh = await _compute(uow, compound_id, year)
    return (cr.with_workflow_of(fresh, stored) if stored is not None else fresh), stored is not None


async def _save(uow: UnitOfWork, compound_id: str, report: cr.YearlyComplaintReport, *, created: bool) -> None:
    values = dict(status=str(report.status), updated_at=uow.now, doc=_enc.encode(report).decode())
    if created:
        await uow.conn.execute(insert(table).values(compound_id=compound_id, year=report.year, **values))
    else:
        await uow.conn.execute(update(table).where(table.c.compound_id == compound_id,
                                                   table.c.year == report.year).values(**values))


def report_view(report: cr.YearlyComplaintReport, tz_name: str, names: dict[str, str],
                now: datetime) -> dict[str, Any]:
    out = msgspec.to_builtins(report)
    out["tz"] = tz_name
    for key in ("submitted_by", "acknowledged_by", "analysis_saved_by"):
        out[f"{key}_name"] = names.get(getattr(report, key)) if getattr(report, key) else None
    out["people"] = {e.by: names.get(e.by, e.by) for e in report.history}
    end = cr.year_end(report)
    # What the server's clock allows now, so the page offers no hand-in the rule would refuse.
    out["year_over"] = now >= end
    out["opens_at"] = end.isoformat()
    out["covers_whole_year"] = cr.covers_whole_year(report)
    out["labels"] = {str(k): v[0] for k, v in CATEGORY_LABELS.items()}
    out["labels_en"] = {str(k): v[1] for k, v in CATEGORY_LABELS.items()}
    return out


def _names_in(report: cr.YearlyComplaintReport) -> tuple[str | None, ...]:
    return (report.submitted_by, report.acknowledged_by, report.analysis_saved_by, *(e.by for e in report.history))


async def yearly(db: Database, who: Principal, year: int) -> cr.YearlyComplaintReport:
    cr.check_year(year)
    async with db.transaction(write=False) as uow:
        return (await _current(uow, who.compound_id, year, lock=False))[0]


async def yearly_view(db: Database, who: Principal, year: int) -> dict[str, Any]:
    cr.check_year(year)
    async with db.transaction(write=False) as uow:
        report = (await _current(uow, who.compound_id, year, lock=False))[0]
        tz = (await compound_rules(uow, who.compound_id)).calendar.tz
        return report_view(report, tz, await people_names(uow.conn, who.compound_id, _names_in(report)), uow.now)


async def _step(db: Database, who: Principal, year: int, action: str, step) -> dict[str, Any]:  # noqa: ANN001
    """One step on the report as it stands, saved and audited in one transaction."""
    cr.check_year(year)
    async with db.transaction() as uow:
        current, stored = await _current(uow, who.compound_id, year, lock=True)
        report = step(current, uow.now)
        await _save(uow, who.compound_id, report, created=not stored)
        last = report.history[-1] if report.history and report.history != current.history else None
        uow.audit(entity="yearly_complaint_report", entity_id=str(year), action=f"yearly_report.{action}",
                  actor_id=who.user_id, actor_role=who.primary_role, device_id=who.device_id,
                  compound_id=who.compound_id,
                  data={"status": str(report.status), "reason": last.reason if last else "",
                        "comment": last.comment if last else "", "received": report.received})
        tz = (await compound_rules(uow, who.compound_id)).calendar.tz
        return report_view(report, tz, await people_names(uow.conn, who.compound_id, _names_in(report)), uow.now)


def _author(who: Principal) -> Role:
    return acting_role(who, (cr.AUTHOR,))


def _acknowledger(who: Principal) -> Role:
    return acting_role(who, (cr.ACKNOWLEDGER,))


async def save_analysis(db: Database, who: Principal, year: int, data: AnalysisIn) -> dict[str, Any]:
    role = _author(who)
    return await _step(db, who, year, "analysis_saved", lambda rep, now: cr.save_analysis(
        rep, data.domain(), by_role=role, by_id=who.user_id, now=now))


async def submit(db: Database, who: Principal, year: int, data: AnalysisIn) -> dict[str, Any]:
    role = _author(who)
    return await _step(db, who, year, "submitted", lambda rep, now: cr.submit_report(
        rep, data.domain(), by_role=role, by_id=who.user_id, now=now))


async def acknowledge(db: Database, who: Principal, year: int, data: AcknowledgeIn) -> dict[str, Any]:
    role = _acknowledger(who)
    return await _step(db, who, year, "acknowledged", lambda rep, now: cr.acknowledge_report(
        rep, by_role=role, by_id=who.user_id, comment=data.comment, now=now))


async def return_report(db: Database, who: Principal, year: int, data: ReturnIn) -> dict[str, Any]:
    role = _acknowledger(who)
    return await _step(db, who, year, "returned", lambda rep, now: cr.return_report(
        rep, by_role=role, by_id=who.user_id, reason=data.reason, now=now))


async def export_xlsx(db: Database, who: Principal, year: int, lang: str = "zh") -> bytes:
    """The workbook in the desk's language (`lang`: "zh", the default, or "en"), as the monthly one (D71)."""
    from server.reports.yearly_xlsx import yearly_report_xlsx

    report = await yearly(db, who, year)
    async with db.read() as conn:
        tz = (await compound_rules(conn, who.compound_id)).calendar.zone
        names = await people_names(conn, who.compound_id, _names_in(report))
    return yearly_report_xlsx(report, tz=tz, names=names, lang=lang)
