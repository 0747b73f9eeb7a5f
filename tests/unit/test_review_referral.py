"""R-FU-3: a case the Monday review passed to the manager waits for the manager's answer."""

from __future__ import annotations

from datetime import timedelta

from server.domain import cases as c
from server.domain.cases import FollowUpKind
from server.domain.roles import Role
from tests.unit.test_cases import T0, ok, opened, refused

MANAGER = [Role.MANAGER]
MONDAY = T0 + timedelta(days=5)


def passed(case: c.Case, at=MONDAY, to: str | None = "m1") -> c.Case:  # noqa: ANN001
    return ok(c.record_follow_up(case, kind=FollowUpKind.WEEKLY_REVIEW, by="d1", now=at, note="请定方案",
                                 reported_to_manager_id=to, manager_roles=MANAGER if to else ())).case


def test_the_manager_answers_the_latest_review_once():  # R-FU-3
    case = passed(opened())
    assert c.pending_review_referral(case) is not None
    refused(c.answer_review_referral(case, approach="外包", by="d1", roles=[Role.DISPATCHER], now=MONDAY),
            c.CaseReason.FORBIDDEN_ROLE)
    refused(c.answer_review_referral(case, approach=" ", by="m1", roles=MANAGER, now=MONDAY), c.CaseReason.TEXT_REQUIRED)
    step = ok(c.answer_review_referral(case, approach=" 外包 ", by="m2", roles=MANAGER, now=MONDAY + timedelta(hours=1)))
    assert step.case.review_answers[0].approach == "外包"  # any manager may answer
    assert step.case.review_answers[0].referral_at == MONDAY
    assert c.pending_review_referral(step.case) is None
    refused(c.answer_review_referral(step.case, approach="再议", by="m1", roles=MANAGER, now=MONDAY),
            c.CaseReason.NO_REVIEW_REFERRAL)
    # Passed up again a week later: a new referral waits.
    again = passed(step.case, at=MONDAY + timedelta(days=7))
    assert c.pending_review_referral(again).at == MONDAY + timedelta(days=7)


def test_a_later_review_that_keeps_the_case_ends_the_referral():  # R-FU-3
    case = passed(passed(opened()), at=MONDAY + timedelta(days=7), to=None)
    assert c.pending_review_referral(case) is None


def test_a_case_confirmed_as_cannot_handle_has_nothing_pending():  # R-FU-3 R-CL-4
    case = passed(opened())
    gone = ok(c.mark_cannot_handle(case, reason="产权不清", by="m1", roles=MANAGER, now=MONDAY)).case
    assert c.pending_review_referral(gone) is None
    refused(c.answer_review_referral(gone, approach="外包", by="m1", roles=MANAGER, now=MONDAY), c.CaseReason.WRONG_STATE)


def test_another_manager_answers_in_place_of_the_one_named_and_the_record_says_both():  # R-FU-3
    # Any manager may answer (D58); the history must show who did and whom the review had named.
    case = passed(opened(), to="m1")
    step = ok(c.answer_review_referral(case, approach="外包", by="m2", roles=MANAGER, now=MONDAY + timedelta(hours=2)))
    assert step.case.review_answers[-1].by == "m2"
    [event] = [e for e in step.events if e.name == "case.review_answered"]
    assert event.data["referred_to_id"] == "m1"
    assert event.by == "m2"
