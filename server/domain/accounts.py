"""Staff accounts as the manager keeps them: what a new account and an edit may say, and who may be deactivated.

Pure: the services read what is needed (the open cases a person holds, how many other managers are
active, the login names taken) and pass it in. Every refusal is one of `AccountReason` (D129).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

from server.domain.emergencies import SummonedRole
from server.domain.errors import Refusal, refuse
from server.domain.keys import PHONE
from server.domain.roles import ALL_STAFF, LEADERSHIP, Role

# The CLI's rule since the first manager was created with it; the manager's page holds to the same.
MIN_PASSWORD_LENGTH = 8
MAX_NAME = 100  # users.display_name
# Typed on a phone at the sign-in page, which trims what is typed around it: no spaces inside, none of
# the invisible control characters, and it fits users.username.
USERNAME = re.compile(r"^[^\s\x00-\x1f\x7f]{1,64}$")


class AccountReason(StrEnum):
    """Closed set of refusal codes for staff accounts (user.exists and user.unknown_post predate the page)."""

    EXISTS = "user.exists"
    NOT_FOUND = "user.not_found"
    BAD_USERNAME = "user.bad_username"
    BAD_NAME = "user.bad_name"
    BAD_PHONE = "user.bad_phone"
    PASSWORD_TOO_SHORT = "user.password_too_short"
    NO_ROLE = "user.no_role"
    UNKNOWN_ROLE = "user.unknown_role"
    UNKNOWN_POST = "user.unknown_post"
    DUPLICATE_POST = "user.duplicate_post"
    # The company's accounts (deputy GM, GM) approve what the manager proposes: not the manager's to
    # create, lock, unlock or give a new password.
    LEADERSHIP_ACCOUNT = "user.leadership_account"
    OPEN_WORK_ORDERS = "user.open_work_orders"
    LAST_MANAGER = "user.last_manager"


_POSTS = tuple(p.value for p in SummonedRole)
_STAFF_ROLES = frozenset(str(r) for r in ALL_STAFF)
_LEADERSHIP = frozenset(str(r) for r in LEADERSHIP)


def check_posts(posts: Iterable[str]) -> Refusal | None:
    """The posts R-EM-2 summons to the scene (D89); each held once, or the panel lists the person twice."""
    seen: set[str] = set()
    for p in posts:
        if p not in _POSTS:
            return refuse(AccountReason.UNKNOWN_POST, f"没有这个岗位：{p}", f"No such post: {p}", kind="invalid",
                          post=p[:64], posts=list(_POSTS))
        if p in seen:
            return refuse(AccountReason.DUPLICATE_POST, f"岗位重复：{p}", f"Post listed twice: {p}", kind="invalid",
                          post=p)
        seen.add(p)
    return None


def check_roles(roles: Sequence[str]) -> Refusal | None:
    if not roles:
        return refuse(AccountReason.NO_ROLE, "请至少选择一个角色", "Choose at least one role", kind="invalid")
    for r in roles:
        if r not in _STAFF_ROLES:
            return refuse(AccountReason.UNKNOWN_ROLE, f"没有这个员工角色：{r}", f"No such staff role: {r}",
                          kind="invalid", role=str(r)[:64], roles=sorted(_STAFF_ROLES))
    return None


def may_administer(target_roles: Iterable[str]) -> Refusal | None:
    """Whether the manager may create, lock, unlock or reset the password of an account with these roles.

    The general manager approves the manager's fees and plans (R-SS-1, R-FU-5); a manager who could make
    or sign in as a GM account could approve their own. Those accounts stay with the company (the CLI)."""
    held = sorted(set(target_roles) & _LEADERSHIP)
    if held:
        return refuse(AccountReason.LEADERSHIP_ACCOUNT, "公司领导（主管副总经理、总经理）的账号由公司管理，管理处不能新增、停用或重设密码",
                      "Leadership accounts (deputy GM, GM) are kept by the company: the office cannot add, "
                      "deactivate or reset them", kind="forbidden", roles=held)
    return None


def check_username(username: str) -> Refusal | None:
    if not USERNAME.match(username):
        return refuse(AccountReason.BAD_USERNAME, "登录名须为 1–64 个字符，不含空格",
                      "A login name is 1–64 characters with no spaces", kind="invalid")
    return None


def check_username_free(username: str, taken: Iterable[str]) -> Refusal | None:
    """A login name differing from another only in letter case would read as the same person."""
    folded = username.casefold()
    if any(t.casefold() == folded for t in taken):
        return refuse(AccountReason.EXISTS, "用户名已存在", "That username is taken", kind="conflict")
    return None


def check_password(password: str) -> Refusal | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return refuse(AccountReason.PASSWORD_TOO_SHORT, f"密码至少 {MIN_PASSWORD_LENGTH} 位",
                      f"A password has at least {MIN_PASSWORD_LENGTH} characters", kind="invalid",
                      min_length=MIN_PASSWORD_LENGTH)
    return None


def check_details(*, display_name: str, phone: str, posts: Sequence[str]) -> Refusal | None:
    """What the emergency panel shows of a person: the name, the number it dials, the posts it lists (D89)."""
    if not display_name.strip() or len(display_name) > MAX_NAME:
        return refuse(AccountReason.BAD_NAME, f"请填写姓名（至多 {MAX_NAME} 字）",
                      f"Give a name (at most {MAX_NAME} characters)", kind="invalid")
    if phone and not PHONE.match(phone):
        return refuse(AccountReason.BAD_PHONE, "电话号码格式不正确", "That is not a phone number", kind="invalid")
    return check_posts(posts)


def check_new_account(*, username: str, display_name: str, password: str, roles: Sequence[str], phone: str,
                      posts: Sequence[str]) -> Refusal | None:
    """A person the manager adds: the CLI's checks (roles, posts, password length) plus the page's own."""
    return (check_username(username) or check_details(display_name=display_name, phone=phone, posts=posts)
            or check_roles(roles) or may_administer(roles) or check_password(password))


def check_deactivation(*, target_roles: Sequence[str], open_cases: Sequence[str],
                       other_active_managers: int) -> Refusal | None:
    """Why a person may not be deactivated now, or None.

    `open_cases` are the numbers of the cases whose active work order the person holds: an opened case
    is followed until it closes (R-OP-4), so its job goes to someone else first. `other_active_managers`
    counts the active managers besides this person: the manager is the emergency chain's first rung
    (R-EM-2) and approves closes (R-CL-2), so a compound keeps one."""
    if (refusal := may_administer(target_roles)) is not None:
        return refusal
    if open_cases:
        n = len(open_cases)
        shown = "、".join(open_cases[:5]) + ("…" if n > 5 else "")
        return refuse(AccountReason.OPEN_WORK_ORDERS, f"此人仍有 {n} 个未完成的工单（{shown}），请先改派再停用",
                      f"This person still holds {n} open work order{'s' if n != 1 else ''} ({shown.replace('、', ', ')}); "
                      "dispatch them to someone else first", kind="conflict", cases=list(open_cases), count=n)
    if str(Role.MANAGER) in target_roles and other_active_managers < 1:
        return refuse(AccountReason.LAST_MANAGER, "这是管理处唯一在职的经理，不能停用；请先新增另一位经理",
                      "This is the office's only active manager and cannot be deactivated; add another manager first",
                      kind="conflict")
    return None
