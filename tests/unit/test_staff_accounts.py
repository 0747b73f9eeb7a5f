"""The manager's staff page, as pure rules: who may be added, what an edit may say, and when a person
may not be deactivated (open work orders, the compound's last manager) (D129, D89)."""

from __future__ import annotations

import pytest

from server.domain import accounts as a
from server.domain.emergencies import SummonedRole

R = a.AccountReason

GOOD = {"username": "han.cap", "display_name": "韩队长", "password": "long-enough", "roles": ["guard"],
        "phone": "139 1234 5678", "posts": ["guard_captain"]}


def new(**kw):  # noqa: ANN003, ANN201
    return a.check_new_account(**{**GOOD, **kw})


def code(refusal) -> str | None:  # noqa: ANN001
    return refusal.code if refusal is not None else None


def test_a_guard_captain_with_a_phone_and_the_post_may_be_added():  # R-EM-2 D89
    assert new() is None
    assert new(phone="", posts=[]) is None  # a number and a post are optional: the panel says "none on file"


@pytest.mark.parametrize("post", [p.value for p in SummonedRole])
def test_every_post_r_em_2_summons_may_be_held(post):  # noqa: ANN001  # R-EM-2
    assert a.check_posts([post]) is None


def test_a_post_r_em_2_does_not_summon_is_refused_with_the_posts_there_are():  # R-EM-2 D89
    refusal = new(posts=["guard_captain", "lift_boss"])
    assert code(refusal) == "user.unknown_post"
    assert refusal.details["post"] == "lift_boss"
    assert set(refusal.details["posts"]) == {p.value for p in SummonedRole}
    assert refusal.kind == "invalid"


def test_a_post_held_twice_is_refused():  # R-EM-2: the panel would list the person twice under one post
    assert code(a.check_posts(["guard_captain", "guard_captain"])) == "user.duplicate_post"


def test_an_account_needs_a_known_staff_role():
    assert code(new(roles=[])) == "user.no_role"
    assert code(new(roles=["guard", "janitor"])) == "user.unknown_role"
    # Residents sign slips on a technician's phone; they have no staff account (domain-rules.md, Roles).
    assert code(new(roles=["resident"])) == "user.unknown_role"


@pytest.mark.parametrize("role", ["deputy_gm", "general_manager"])
def test_the_manager_may_not_create_a_leadership_account(role):  # noqa: ANN001  # R-SS-1 R-EM-2
    # The GM approves what the manager proposes (fees R-SS-1, plans R-FU-5): a manager who could make a
    # GM account could approve their own proposals. Leadership accounts stay with the company (CLI).
    refusal = new(roles=["manager", role])
    assert code(refusal) == "user.leadership_account"
    assert refusal.kind == "forbidden"


def test_login_name_name_phone_and_password_are_checked():
    assert code(new(username="")) == "user.bad_username"
    assert code(new(username="han cap")) == "user.bad_username"  # typed at the sign-in page: no spaces
    assert code(new(username="x" * 65)) == "user.bad_username"
    assert code(new(display_name="  ")) == "user.bad_name"
    assert code(new(display_name="韩" * 101)) == "user.bad_name"
    assert code(new(phone="call me")) == "user.bad_phone"
    assert code(new(password="short")) == "user.password_too_short"
    assert new(password="x" * a.MIN_PASSWORD_LENGTH) is None


def test_a_login_name_is_taken_whatever_its_letter_case():
    # Two accounts "Han" and "han" would be one person to everyone reading the history.
    assert code(a.check_username_free("Han.Cap", ["dispatcher", "han.cap"])) == "user.exists"
    assert a.check_username_free("han.cap2", ["dispatcher", "han.cap"]) is None


def test_an_edit_checks_the_name_phone_and_posts_alone():  # R-EM-2 D89
    assert a.check_details(display_name="韩队长", phone="13912345678", posts=["guard_captain"]) is None
    assert code(a.check_details(display_name="", phone="", posts=[])) == "user.bad_name"
    assert code(a.check_details(display_name="韩队长", phone="x", posts=[])) == "user.bad_phone"
    assert code(a.check_details(display_name="韩队长", phone="", posts=["boss"])) == "user.unknown_post"


def test_leadership_accounts_are_not_the_managers_to_lock_or_unlock():  # R-SS-1
    assert a.may_administer(["guard"]) is None
    assert a.may_administer(["manager"]) is None
    assert code(a.may_administer(["general_manager"])) == "user.leadership_account"
    assert code(a.may_administer(["deputy_gm"])) == "user.leadership_account"


def test_a_person_holding_open_work_orders_is_not_deactivated():  # R-OP-4 D129
    # An opened case is followed until it is closed (R-OP-4): its job must be dispatched to someone
    # else first, or it would sit on the phone of a person who can no longer sign in.
    refusal = a.check_deactivation(target_roles=["technician"], open_cases=["GD20261123-0001", "GD20261123-0004"],
                                   other_active_managers=1)
    assert code(refusal) == "user.open_work_orders"
    assert refusal.details == {"cases": ["GD20261123-0001", "GD20261123-0004"], "count": 2}
    assert "2 个" in refusal.zh and "GD20261123-0001" in refusal.zh
    assert a.check_deactivation(target_roles=["technician"], open_cases=[], other_active_managers=1) is None


def test_the_last_active_manager_is_not_deactivated():  # R-EM-2 R-CL-2 D129
    # The manager is the first rung of the emergency chain and the one who approves closes: a compound
    # must keep one. Another active manager is enough.
    assert code(a.check_deactivation(target_roles=["manager"], open_cases=[], other_active_managers=0)) \
        == "user.last_manager"
    assert a.check_deactivation(target_roles=["manager"], open_cases=[], other_active_managers=1) is None
    # Not a manager: the count does not matter.
    assert a.check_deactivation(target_roles=["guard"], open_cases=[], other_active_managers=0) is None


def test_leadership_accounts_are_refused_before_anything_else():  # R-SS-1
    assert code(a.check_deactivation(target_roles=["general_manager"], open_cases=["GD1"], other_active_managers=0)) \
        == "user.leadership_account"


def test_every_refusal_code_is_in_the_closed_set():
    codes = {r.value for r in R}
    samples = [new(username=""), new(display_name=""), new(phone="x"), new(password=""), new(roles=[]),
               new(roles=["x"]), new(roles=["gm"]), new(posts=["x"]), a.check_posts(["guard_captain"] * 2),
               new(roles=["general_manager"]), a.check_username_free("a", ["A"]),
               a.check_deactivation(target_roles=["manager"], open_cases=["GD1"], other_active_managers=0),
               a.check_deactivation(target_roles=["manager"], open_cases=[], other_active_managers=0)]
    assert all(s is not None and s.code in codes for s in samples)
