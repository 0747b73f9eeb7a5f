"""Whom the desk tells first about a case's work (R-DI-1): the lead of that line of work.

The seed (000 3.1.2) has the dispatcher tell the supervisor of the matter (有关主管/队长), or directly the
repair lead (维修班长) or the duty guard captain (当值保安队长), and go to the executor only when none can be
found. Accounts carry no department (D87), so the line a lead answers for is read off the posts the staff
list gives them (D89, D144): the repair lead's post leads repairs, the guard captain's leads security work, and a
team lead holding neither is a supervisor of no one trade, whom the desk may tell about any work.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import msgspec

from server.domain.cases import Case, ComplaintCategory, HelpKind, Kind
from server.domain.emergencies import SummonedRole
from server.domain.roles import Role


class WorkLine(StrEnum):
    REPAIR = "repair"  # 维修: the repair lead
    SECURITY = "security"  # 护卫: the duty guard captain
    CLEANING = "cleaning"  # 保洁、绿化: their supervisor, where the compound has one
    GENERAL = "general"  # of no one trade: any lead, the desk judges which


# The post that makes its holder the lead of one line of work, whatever their account's role.
LINE_POSTS: dict[WorkLine, str] = {
    WorkLine.REPAIR: str(SummonedRole.REPAIR_LEAD),
    WorkLine.SECURITY: str(SummonedRole.GUARD_CAPTAIN),
}

_COMPLAINT_LINES: dict[ComplaintCategory, WorkLine] = {
    ComplaintCategory.ENGINEERING_REPAIR: WorkLine.REPAIR,
    ComplaintCategory.SECURITY: WorkLine.SECURITY,
    ComplaintCategory.CLEANING: WorkLine.CLEANING,
    ComplaintCategory.GREENING: WorkLine.CLEANING,
}

_HELP_LINES: dict[HelpKind, WorkLine] = {
    HelpKind.REPAIR: WorkLine.REPAIR,
    HelpKind.CRIME: WorkLine.SECURITY,
    HelpKind.TRAFFIC_ACCIDENT: WorkLine.SECURITY,
}


class StaffMember(msgspec.Struct, frozen=True, kw_only=True):
    """An active account as the directory has it: the roles it holds and the posts named on it."""

    id: str
    roles: frozenset[Role]
    posts: frozenset[str] = frozenset()


# A special service is work of no one trade: its booking is dispatched from the services page, whose chooser
# offers every lead (D100), as the booking's view names them before any case exists (`leads_of_line`).
SPECIAL_SERVICE_LINE = WorkLine.GENERAL


def work_line(case: Case) -> WorkLine:
    """The line of work a case's job belongs to."""
    if case.kind == Kind.SPECIAL_SERVICE:
        return SPECIAL_SERVICE_LINE
    if case.kind == Kind.REPAIR:
        return WorkLine.REPAIR
    if case.kind == Kind.COMPLAINT and case.complaint_category is not None:
        return _COMPLAINT_LINES.get(case.complaint_category, WorkLine.GENERAL)
    if case.kind == Kind.HELP and case.help_kind is not None:
        return _HELP_LINES.get(case.help_kind, WorkLine.GENERAL)
    return WorkLine.GENERAL


def _is_supervisor(p: StaffMember) -> bool:
    """A team lead holding no trade's post: whose department is not recorded, so any line's."""
    return Role.TEAM_LEAD in p.roles and not p.posts & set(LINE_POSTS.values())


def leads_of_line(line: WorkLine, staff: Iterable[StaffMember]) -> tuple[str, ...]:
    """The ids, in directory order, of the people who lead `line`: the holders of its post, and the
    supervisors of no one trade. Work of no one trade (GENERAL) is led by every one of them."""
    posts = set(LINE_POSTS.values()) if line == WorkLine.GENERAL else {LINE_POSTS[line]} if line in LINE_POSTS else set()
    return tuple(p.id for p in staff if _is_supervisor(p) or p.posts & posts)


def leads_for(case: Case, staff: Iterable[StaffMember]) -> tuple[str, ...]:
    """Whom the desk tells first about this case (R-DI-1). Empty when nobody leads its line: then the
    executor is told directly, and the dispatch says so (cases.dispatch)."""
    return leads_of_line(work_line(case), staff)


def lead_posts_for(case: Case, staff: Iterable[StaffMember]) -> dict[str, str]:
    """The post that makes each of this case's leads its lead, for those who are not team leads by their
    account (韩队长, a guard, leads security work as 保安队长): the dispatch records them in that capacity under
    that title. A team lead by account keeps the team lead's title, as the dispatch dialog gives it."""
    line = work_line(case)
    posts = list(LINE_POSTS.values()) if line == WorkLine.GENERAL else [LINE_POSTS[line]] if line in LINE_POSTS else []
    return {p.id: post for p in staff if Role.TEAM_LEAD not in p.roles
            for post in [next((x for x in posts if x in p.posts), None)] if post is not None}

