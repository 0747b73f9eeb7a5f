"""A summons naming nobody follows its post (R-EM-2, D89): when the manager's staff page (D129) gives a post
to someone or takes it from them, every open emergency's summons of that post goes with it.

In the transaction that changes the person's posts, for each open emergency summoning a changed post and
naming nobody (cases.pass_summons):
- the case records the change (`emergency.summons_passed`, in its history and the audit trail);
- the new holder gets the summons on their phone (its feed document, so the red strip) and, while nobody
  is on the scene yet, its push and inbox item: the case's reminders are planned again against the
  holders now, so a reminder the former holder has not been sent yet is withdrawn;
- the former holder's phone is told through the pull that the summons left it and why (`post_passed`,
  naming who holds the post now), unless they already said from their phone that they are on the
  scene: then it stays theirs, and their report counts.

Lock order: the compound's open emergencies first (id order), then the person's row. A dispatch reads
its case and then shares its assignee's row, so the opposite order here would deadlock with it.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy import select

from server.auth.principal import Principal
from server.domain import cases as dc
from server.domain import emergencies as em
from server.notify import reminders
from server.services.cases import decode_case, replan_reminders, store_transition, summons_removal
from server.storage.db import UnitOfWork
from server.storage.schema import cases
from server.sync.scopes import user_scope

_OPEN = tuple(str(s) for s in dc.CaseState if s not in (dc.CaseState.CLOSED, dc.CaseState.NOT_OPENED))


async def lock_open_emergencies(uow: UnitOfWork, compound_id: str) -> list[dc.Case]:
    """The compound's open emergencies, locked until commit on PostgreSQL, in id order; each is then the
    transaction's copy (`load_case` finds it loaded)."""
    q = (select(cases.c.id, cases.c.doc)
         .where(cases.c.compound_id == compound_id, cases.c.is_emergency.is_(True), cases.c.state.in_(_OPEN))
         .order_by(cases.c.id))
    out: list[dc.Case] = []
    for row in (await uow.conn.execute(uow.for_update(q))).all():
        key = ("case", row.id)
        case = uow.staged.get(key, (None,))[0] or uow.loaded.get(key)
        if case is None:
            case = decode_case(row.doc)
            uow.loaded[key] = case
        out.append(case)
    return out


def posts_touched(before: Sequence[str], after: Sequence[str]) -> bool:
    """Whether a change from posts `before` to `after` may move a summons (then the emergencies are locked
    before the person, see the module's lock order)."""
    return set(before) != set(after)


async def follow_posts(uow: UnitOfWork, who: Principal, user_id: str, before: Sequence[str],
                       after: Sequence[str]) -> list[str]:
    """`user_id`'s posts went from `before` to `after` (already written): each summons naming nobody of a
    post they took up or left follows it. Returns the numbers of the cases whose summons moved."""
    gained = [em.SummonedRole(p) for p in after if p not in before]
    lost = [em.SummonedRole(p) for p in before if p not in after]
    if not gained and not lost:
        return []
    # Who holds which post is read once per transaction: read it again, as it is now.
    reminders.forget_accounts(uow, who.compound_id)
    accounts = await reminders.compound_accounts(uow, who.compound_id)
    moved: list[str] = []
    for case in await lock_open_emergencies(uow, who.compound_id):
        passed_on = False
        for post in (*gained, *lost):
            out = dc.pass_summons(case, post=post, gained=[user_id] if post in gained else [],
                                  lost=[user_id] if post in lost else [], by=who.user_id, now=uow.now)
            if out is None:
                continue
            case = await store_transition(uow, who, out)
            passed_on = True
            s = next(x for x in case.emergency.summons if x.person_id is None and x.role == post)  # type: ignore[union-attr]
            if post in lost and user_id not in s.on_scene:
                holders = accounts.by_post.get(str(post), [])
                gone = summons_removal(case, s, "post_passed", to_names=[accounts.names.get(h, h) for h in holders])
                uow.emit(user_scope(user_id), "summons", f"{case.id}:{post}", "remove", msgspec.json.encode(gone))
        if passed_on:
            # The plan names the post, not its holders, so a save alone would not see that they changed.
            await replan_reminders(uow, case)
            moved.append(case.no)
    return moved
