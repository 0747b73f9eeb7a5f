"""When a referral left waiting is brought to whom: the one it names first, then the others who would answer it.

Two things wait on one person's word: an opening the desk could not decide and passed to a named
supervisor (R-OP-3, D50), and a case the Monday review passed to a named manager (R-FU-3, D58). Any
supervisor may decide the one and any manager answer the other (D50, D58, D77), but only the one named
is asked. `referral_reminders(case, calendar)` says, for a referral still waiting, when the named person
is reminded and when the others who would answer it are told it is still waiting; the notifier
(server/notify/reminders.py) stores each, sends it once, and cancels what is not sent yet once the
referral is answered (a decision, an answer, a cannot-handle confirmation, a new hand-up).

The times (D78), on the compound's business calendar:
- an opening: the named supervisor 2 working hours after it was passed up, the others 2 working hours
  after that. R-OP-3 asks the supervisor "at once" and R-FU-1 presses on an opened case after 2 hours,
  so an opening undecided for 2 working hours is already behind the pace the rules set.
- a Monday review: the named manager when the next working day starts, the others when it ends. R-FU-3
  asks the manager to confirm the case or set a new approach, which takes a day's thought, not minutes;
  the named manager then has that whole working day before the others are told.

Who "the others" are pushed (D87) is narrower than who may answer (D77, unchanged: every supervisor
still sees an opening passed to another on their home and may decide it). For an opening: the managers
(管理处负责人, whom the desk asks besides the supervisor, seed 000 3.2.2B) and the team leads the desk
already told of this case (R-DI-1: a repair dispatched first under R-IN-7 is theirs) — not every team
lead of the compound, who would hear of a plumbing question as cleaning or guard captain; and the deputy
GM, then the GM, only when none of those is there to tell, as R-EM-2 climbs from the manager. For a
review: the other managers (only they may answer it). `recipients(reminder, staff)` resolves this
against the compound's active accounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

import msgspec

from server.domain.calendar import BusinessCalendar
from server.domain.cases import (
    OPENING_DECIDERS,
    REVIEW_ANSWERERS,
    Case,
    CaseState,
    pending_review_referral,
)
from server.domain.roles import Role

OPENING_NAMED_AFTER_MINUTES = 120  # working minutes from the hand-up to the named supervisor's reminder
OPENING_OTHERS_AFTER_MINUTES = 120  # working minutes from that reminder to the other supervisors'

# D87: an opening's others are pushed to the managers and the case's own team leads; when none of them
# is there, to the first of these someone holds (R-EM-2's order above the manager).
OPENING_PUSHED = frozenset({Role.MANAGER})
OPENING_FALLBACK = (Role.DEPUTY_GM, Role.GENERAL_MANAGER)
REVIEW_PUSHED = frozenset({Role.MANAGER})

_ENDED = (CaseState.CLOSED, CaseState.NOT_OPENED, CaseState.CANNOT_HANDLE)


class Referral(StrEnum):
    OPENING = "opening"  # R-OP-3: whether to open the case
    REVIEW = "review"  # R-FU-3: a Monday review passed up to the manager


class Audience(StrEnum):
    NAMED = "named"  # the person the referral names
    OTHERS = "others"  # the others who would answer it (D87: see `recipients`)


class ReferralReminder(msgspec.Struct, frozen=True, kw_only=True):
    """One reminder a waiting referral calls for: to whom, when, and about which hand-up."""

    referral: Referral
    audience: Audience
    # NAMED: the named person alone. OTHERS: see `recipients`; never `except_id` (the named one).
    recipient_id: str | None
    roles: frozenset[Role]  # who may answer it (D77): every holder sees it waiting
    except_id: str | None
    # OTHERS (D87): who is pushed — everyone holding one of `pushed_roles`, and `pushed_ids` while they
    # still hold a role in `roles`; when that is nobody, the holders of the first `fallback` role held.
    pushed_roles: frozenset[Role] = frozenset()
    pushed_ids: tuple[str, ...] = ()
    fallback: tuple[Role, ...] = ()
    send_at: datetime
    # The hand-up itself: whom it names, who passed it up, when, and why (the desk's words).
    named_id: str
    named_role: Role
    by: str
    referred_at: datetime
    note: str


def _pair(
    referral: Referral, roles: frozenset[Role], named_id: str, named_role: Role, by: str, at: datetime,
    note: str, named_at: datetime, others_at: datetime, *, pushed_roles: frozenset[Role],
    pushed_ids: tuple[str, ...] = (), fallback: tuple[Role, ...] = (),
) -> list[ReferralReminder]:
    common = dict(referral=referral, roles=roles, named_id=named_id, named_role=named_role, by=by,
                  referred_at=at, note=note)
    return [
        ReferralReminder(audience=Audience.NAMED, recipient_id=named_id, except_id=None, send_at=named_at,
                         **common),  # type: ignore[arg-type]
        ReferralReminder(audience=Audience.OTHERS, recipient_id=None, except_id=named_id, send_at=others_at,
                         pushed_roles=pushed_roles, pushed_ids=tuple(i for i in pushed_ids if i != named_id),
                         fallback=fallback, **common),  # type: ignore[arg-type]
    ]


def case_team_leads(case: Case) -> tuple[str, ...]:
    """The team leads the desk reached about this case (R-DI-1), in the order they were told."""
    out: list[str] = []
    for d in case.dispatches:
        if d.told_role == Role.TEAM_LEAD and d.reached and d.told_id and d.told_id not in out:
            out.append(d.told_id)
    return tuple(out)


def recipients(r: ReferralReminder, staff: Mapping[str, Sequence[str]]) -> list[str]:
    """Whom the reminder reaches, given the compound's active accounts by role (ids); sorted, once each.

    The named person is reminded even if since made inactive (the desk named them; the others follow).
    """
    if r.audience == Audience.NAMED:
        return [r.recipient_id] if r.recipient_id else []
    may_answer = {u for role in r.roles for u in staff.get(role, ())}
    first = {u for role in r.pushed_roles for u in staff.get(role, ())}
    first |= {u for u in r.pushed_ids if u in may_answer}
    first.discard(r.except_id)  # type: ignore[arg-type]
    if first:
        return sorted(first)
    for role in r.fallback:
        tier = set(staff.get(role, ())) - {r.except_id}
        if tier:
            return sorted(tier)
    return []


def referral_reminders(case: Case, calendar: BusinessCalendar) -> list[ReferralReminder]:
    """The reminders the case's waiting referrals call for, sent or not; none once nothing waits."""
    if case.state in _ENDED:
        return []
    out: list[ReferralReminder] = []
    opening = case.awaiting_supervisor
    if opening is not None:
        named_at = calendar.add_working_minutes(opening.at, OPENING_NAMED_AFTER_MINUTES)
        others_at = calendar.add_working_minutes(named_at, OPENING_OTHERS_AFTER_MINUTES)
        out += _pair(Referral.OPENING, OPENING_DECIDERS, opening.to_id, opening.to_role, opening.by, opening.at,
                     opening.note, named_at, others_at, pushed_roles=OPENING_PUSHED,
                     pushed_ids=case_team_leads(case), fallback=OPENING_FALLBACK)
    review = pending_review_referral(case)
    if review is not None and review.reported_to_manager_id:
        # A review passed up after hours belongs to the next working day (as every clock reads it).
        day = calendar.next_working_day(calendar.working_day_of(review.at))
        out += _pair(Referral.REVIEW, REVIEW_ANSWERERS, review.reported_to_manager_id, Role.MANAGER, review.by,
                     review.at, review.note, calendar.at(day, calendar.work_start), calendar.at(day, calendar.work_end),
                     pushed_roles=REVIEW_PUSHED)
    return out
