"""The demo compound's emergency is a realistic one in progress: called in, escalated, opened, not done."""

from __future__ import annotations

from sqlalchemy import select

from server.domain import cases as dc
from server.domain import emergencies as em
from server.domain.roles import Role
from server.services.cases import decode_case
from server.storage.migrate import upgrade
from server.storage.schema import cases


async def test_the_demo_emergency_is_escalated_opened_and_still_in_progress(empty_db_url):  # noqa: ANN001  # R-EM-2 R-EM-5 R-OP-1
    from server.demo import seed_demo
    from server.storage.db import Database

    await upgrade(empty_db_url)
    db = Database(empty_db_url)
    try:
        await seed_demo(db)
        async with db.read() as conn:
            docs = (await conn.execute(select(cases.c.doc))).scalars().all()
    finally:
        await db.dispose()
    [case] = [c for c in map(decode_case, docs) if c.is_emergency]
    state = case.emergency
    assert state is not None
    # R-EM-5: the fire brigade called for smoke in the garage.
    assert [str(c.number) for c in state.public_calls] == ["119"]
    # R-EM-2: the manager first (not reached), then the deputy GM, who confirmed taking charge.
    assert [(a.target_role, a.reached) for a in state.attempts] == [(Role.MANAGER, False), (Role.DEPUTY_GM, True)]
    assert state.attempts[-1].acknowledged_at is not None and state.attempts[-1].target_id == "usr_deputy"
    assert [r.to_role for r in case.reports_up] == [Role.DEPUTY_GM]  # R-DI-2
    assert [f.kind for f in case.follow_ups] == [dc.FollowUpKind.REPLY]  # R-IN-5: the resident answered at once
    # The responsible people summoned to the scene; one has reported back, one is on the way.
    summoned = {str(s.role): s for s in state.summons}
    assert summoned["guard_captain"].reported_at is not None and summoned["guard_captain"].report
    assert summoned["engineering_manager"].arrived_at is None
    # Then recorded and opened as an emergency (R-OP-1 D) — not left at 已受理.
    assert case.state == dc.CaseState.OPENED
    assert case.opening is not None and case.opening.opened and str(case.opening.reason) == "D"
    # Still in progress: not settled, an instruction of the deputy GM open, so the desk holds the post
    # (R-EM-3), the handover must take it over and the manager cannot approve its close yet.
    assert state.settled_at is None and em.holds_post(state, "usr_dispatcher")
    assert [x.done_at for x in state.instructions] == [None]
    missing = dc.missing_to_close(case)
    assert {"event_settled", "summons_reported", "instructions_done"} <= set(missing)
    assert "escalation_acknowledged" not in missing and "reported_up" not in missing
