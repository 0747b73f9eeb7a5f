"""Emergencies (R-EM-1..5): what counts as one, the escalation chain, summons, leadership orders,
the public emergency numbers to call and the calls made.

The state here is a value held by a Case (`Case.emergency`); cases.py wraps each step below in a
case transition. Every step returns a new EmergencyState or a Refusal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

import msgspec

from server.domain.errors import Refusal, refuse
from server.domain.roles import Role


class PublicNumber(StrEnum):
    """R-EM-5: the public emergency services' numbers."""

    POLICE = "110"
    FIRE = "119"
    AMBULANCE = "120"
    TRAFFIC = "122"


# R-EM-5: the public emergency numbers the desk shows next to every emergency.
EMERGENCY_NUMBERS: MappingProxyType[str, str] = MappingProxyType(
    {n.name.lower(): n.value for n in PublicNumber}
)

# R-EM-2: reach the manager first; only if unreachable the deputy GM, then the general manager.
ESCALATION_CHAIN: tuple[Role, ...] = (Role.MANAGER, Role.DEPUTY_GM, Role.GENERAL_MANAGER)

DEFAULT_UNACKED_AFTER_MINUTES = 5


class EmergencyTrigger(StrEnum):
    """Events of R-EM-1 (plus the emergency help kinds of R-IN-4)."""

    PUBLIC_SAFETY = "public_safety"  # endangers residents' life or property
    FIRE = "fire"  # fire alarm or fire
    INJURY = "injury"
    TRAFFIC_ACCIDENT = "traffic_accident"
    GOVERNMENT_ORDER = "government_order"  # urgent order from government / law enforcement
    LEADERSHIP_ORDER = "leadership_order"  # urgent order from company leadership
    MEDICAL = "medical"
    CRIME = "crime"  # theft, fight, robbery, homicide, poisoning
    DISASTER = "disaster"  # flood, fire, natural disaster


class SummonedRole(StrEnum):
    """The responsible people R-EM-2 calls to the scene."""

    SECURITY_MANAGER = "security_manager"
    ENGINEERING_MANAGER = "engineering_manager"
    GUARD_CAPTAIN = "guard_captain"
    ELEVATOR_CAPTAIN = "elevator_captain"
    REPAIR_LEAD = "repair_lead"
    GUARD_SHIFT_LEAD = "guard_shift_lead"


class Means(StrEnum):
    PHONE = "phone"
    RADIO = "radio"
    IN_PERSON = "in_person"
    APP = "app"
    SMS = "sms"


class EmergencyReason(StrEnum):
    OUT_OF_CHAIN = "emergency.out_of_chain"
    CHAIN_ORDER = "emergency.chain_order"
    NO_REACHED_ATTEMPT = "emergency.no_reached_attempt"
    ALREADY_SUMMONED = "emergency.already_summoned"
    NOT_SUMMONED = "emergency.not_summoned"
    UNKNOWN_INSTRUCTION = "emergency.unknown_instruction"
    DUPLICATE_INSTRUCTION = "emergency.duplicate_instruction"
    INSTRUCTION_DONE = "emergency.instruction_done"
    ALREADY_RELEASED = "emergency.already_released"
    TAKEOVER_BY_SELF = "emergency.takeover_by_self"
    UNKNOWN_NUMBER = "emergency.unknown_number"
    EMPTY_TEXT = "emergency.empty_text"
    NO_GIVER = "emergency.instruction_giver_missing"
    ACK_BY_OTHER = "emergency.ack_by_other"
    # D89: a person named on a rung of the chain must hold that rung's role.
    TARGET_NOT_IN_ROLE = "emergency.target_not_in_role"
    # A call marked on the intake form (D73): its number must be one the matter calls for, and its
    # time lie between the form's opening and its sending, both read on the desk's own clock.
    CALL_NOT_CALLED_FOR = "emergency.call_not_called_for"
    CALL_IN_FUTURE = "emergency.call_in_future"
    CALL_BEFORE_FORM = "emergency.call_before_form"
    CALL_TIME_MISSING = "emergency.call_time_missing"
    # D85: a mark long before the sending is taken only once the desk confirmed it, and never past a shift.
    CALL_NOT_CONFIRMED = "emergency.call_not_confirmed"
    CALL_TOO_OLD = "emergency.call_too_old"


class EscalationAttempt(msgspec.Struct, frozen=True, kw_only=True):
    target_role: Role
    target_id: str | None = None
    at: datetime
    means: Means
    reached: bool
    acknowledged_at: datetime | None = None


class HolderChange(msgspec.Struct, frozen=True, kw_only=True):
    """Someone took up (`held`) or left the post a summons naming nobody calls, while it called them."""

    person_id: str
    held: bool
    at: datetime
    by: str  # who changed it: the manager on the staff page (D129)


class Summons(msgspec.Struct, frozen=True, kw_only=True):
    role: SummonedRole
    person_id: str | None = None
    summoned_at: datetime
    arrived_at: datetime | None = None
    report: str | None = None
    reported_at: datetime | None = None
    # Who sent the report: the person summoned, from their phone, or the desk writing down what they
    # said on the radio. Defaulted: summons stored before phones reported decode without it.
    reported_by: str | None = None
    # Who said from their own phone that they are on the scene (已到场 or a report): the summons stays
    # with them when the post passes to someone else, as their report counts. The desk writing down an
    # arrival heard on the radio puts nobody here. Defaulted: stored summonses decode without it.
    on_scene: tuple[str, ...] = ()
    # A summons naming nobody follows its post: each time someone took it up or left it while the summons
    # called its holders, so a step tapped offline is judged by who held the post when it was tapped.
    holder_changes: tuple[HolderChange, ...] = ()


class Instruction(msgspec.Struct, frozen=True, kw_only=True):
    """A leadership instruction: each one is tracked to completion on its own (R-EM-4)."""

    id: str
    text: str
    given_by: str
    given_at: datetime
    done_at: datetime | None = None
    done_by: str | None = None
    result: str | None = None


class PublicCall(msgspec.Struct, frozen=True, kw_only=True):
    """R-EM-5: a public emergency number the desk called for the event: which, who, when."""

    number: PublicNumber
    by: str
    at: datetime
    # D85: marked on the intake form more than INTAKE_CALL_CONFIRM_AFTER before it was sent, and
    # taken as this request's call because the desk confirmed it (defaulted: stored calls decode).
    confirmed: bool = False


class CallAtIntake(msgspec.Struct, frozen=True, kw_only=True):
    """R-EM-5: a public number the desk marked as called while the intake form was still open.

    `at` is the desk's clock when the dispatcher pressed 已拨打, not the server's: the call comes
    first and the record after, so it is placed in server time by `calls_at_intake`."""

    number: PublicNumber
    at: datetime
    # D85: the desk was asked, for a mark made more than INTAKE_CALL_CONFIRM_AFTER before sending,
    # whether it was this request's call, and said yes.
    confirmed: bool = False


# D85: how long before the form is sent a call marked on it is taken as this request's call without
# asking. The desk calls first and types after, and R-EM-2 has it reach the manager and summon people
# before it records, so half an hour is a busy emergency; a mark older than that is as likely to be
# one left on a form the desk walked away from, and belongs to this request only if the desk says so.
INTAKE_CALL_CONFIRM_AFTER = timedelta(minutes=30)
# D85: the oldest mark placed at its own time at all, confirmed or not: a shift (R-SH-1 hands over
# open work at its end), and the longest span over which a difference on the desk's clock is trusted
# (a clock reset by the network while the form stood open moves the call by the whole correction).
INTAKE_CALL_MAX_AGE = timedelta(hours=12)


class EmergencyState(msgspec.Struct, frozen=True, kw_only=True):
    declared_at: datetime
    declared_by: str
    trigger: EmergencyTrigger
    attempts: tuple[EscalationAttempt, ...] = ()
    summons: tuple[Summons, ...] = ()
    instructions: tuple[Instruction, ...] = ()
    # R-EM-3: the dispatcher on duty is held at the post until the event settles or someone takes
    # over; `at_post_id` is who is held right now.
    at_post_id: str
    settled_at: datetime | None = None
    settled_by: str | None = None
    taken_over_by: str | None = None
    taken_over_at: datetime | None = None
    # R-EM-5: defaulted, so emergencies stored before calls were recorded decode without it.
    public_calls: tuple[PublicCall, ...] = ()


# --- classification (R-EM-1) -------------------------------------------------------------------

# Help kinds of R-IN-4 that are emergencies by themselves; kept as values so cases.py can map its
# HelpKind enum onto them without an import cycle.
EMERGENCY_HELP_KINDS: frozenset[str] = frozenset({"medical_emergency", "crime", "traffic_accident", "disaster"})

_HELP_TRIGGER = {
    "medical_emergency": EmergencyTrigger.MEDICAL,
    "crime": EmergencyTrigger.CRIME,
    "traffic_accident": EmergencyTrigger.TRAFFIC_ACCIDENT,
    "disaster": EmergencyTrigger.DISASTER,
}


def classify_emergency(
    *, help_kind: str | None = None, trigger: EmergencyTrigger | None = None
) -> EmergencyTrigger | None:
    """The R-EM-1 trigger if the matter is an emergency, else None."""
    if trigger is not None:
        return trigger
    if help_kind is not None and str(help_kind) in EMERGENCY_HELP_KINDS:
        return _HELP_TRIGGER[str(help_kind)]
    return None


def is_emergency(*, help_kind: str | None = None, trigger: EmergencyTrigger | None = None) -> bool:
    return classify_emergency(help_kind=help_kind, trigger=trigger) is not None


def declare(*, trigger: EmergencyTrigger, by: str, now: datetime) -> EmergencyState:
    return EmergencyState(declared_at=now, declared_by=by, trigger=trigger, at_post_id=by)


# --- the public services to call (R-EM-5) -------------------------------------------------------

# Which public service each help kind of R-IN-4 calls for, the most pressing first: a traffic
# accident is the traffic police's (122), and the police (110) come to any accident with injury or
# dispute. Kinds the company handles itself (repair, complaint, inquiry, other) call for none.
NUMBERS_BY_HELP_KIND: MappingProxyType[str, tuple[PublicNumber, ...]] = MappingProxyType({
    "medical_emergency": (PublicNumber.AMBULANCE,),
    "crime": (PublicNumber.POLICE,),  # theft, fight, robbery, homicide, poisoning
    "traffic_accident": (PublicNumber.TRAFFIC, PublicNumber.POLICE),
    "disaster": (PublicNumber.FIRE,),  # flood, fire, natural disaster: the fire brigade rescues
})

# The same for an emergency declared by its R-EM-1 type. Orders from the government or the
# company's leadership come from the authorities themselves, and a public-safety event names no one
# service: the desk judges those with all four numbers in front of it.
NUMBERS_BY_TRIGGER: MappingProxyType[EmergencyTrigger, tuple[PublicNumber, ...]] = MappingProxyType({
    EmergencyTrigger.MEDICAL: (PublicNumber.AMBULANCE,),
    EmergencyTrigger.INJURY: (PublicNumber.AMBULANCE,),
    EmergencyTrigger.FIRE: (PublicNumber.FIRE,),
    EmergencyTrigger.DISASTER: (PublicNumber.FIRE,),
    EmergencyTrigger.CRIME: (PublicNumber.POLICE,),
    EmergencyTrigger.TRAFFIC_ACCIDENT: (PublicNumber.TRAFFIC, PublicNumber.POLICE),
})


def numbers_to_call(
    *, help_kind: str | None = None, trigger: EmergencyTrigger | None = None
) -> tuple[PublicNumber, ...]:
    """The public numbers the desk should call for a matter of this help kind and/or emergency type,
    each once, the help kind's first (it says what happened; the type may add a service)."""
    found = (*NUMBERS_BY_HELP_KIND.get(str(help_kind), ()), *(NUMBERS_BY_TRIGGER.get(trigger, ()) if trigger else ()))
    return tuple(dict.fromkeys(found))


def record_public_call(state: EmergencyState, *, number: str, by: str, now: datetime) -> EmergencyState | Refusal:
    """The desk called a public emergency number. Each call is kept (a second call to the fire brigade
    is its own record), after the event settled too: a call is often written down once the line is free."""
    if number not in {str(n) for n in PublicNumber}:
        return refuse(
            EmergencyReason.UNKNOWN_NUMBER,
            "只能记录报警 110、火警 119、急救 120、交通事故 122",
            "Only 110 (police), 119 (fire), 120 (ambulance) and 122 (traffic) can be recorded",
            kind="invalid",
            number=number,
        )
    call = PublicCall(number=PublicNumber(number), by=by, at=now)
    return msgspec.structs.replace(state, public_calls=(*state.public_calls, call))


def calls_at_intake(
    calls: Sequence[CallAtIntake],
    *,
    numbers: Sequence[PublicNumber],
    form_opened_at: datetime | None,
    sent_at: datetime | None,
    by: str,
    now: datetime,
) -> tuple[PublicCall, ...] | Refusal:
    """The calls marked on the intake form, placed in server time, or why they cannot be recorded.

    Only the numbers the matter calls for (`numbers`, from `numbers_to_call`) are offered on the form,
    so only those are taken; any other is recorded on the case afterwards, at the time it is recorded.
    Each call's time, the form's opening and its sending are read on the desk's one clock, so their
    differences are true whatever that clock's error: a call counts `sent_at - at` before `now`
    (as the phone's steps do, D35). A call after the sending is in the future; one before the form was
    opened was not made while filling it in. Kept in the order they were made.

    How long the form stood open refuses nothing by itself (the request is received now, R-IN-1);
    each call is judged by how long before the sending it was marked (D85): more than
    INTAKE_CALL_CONFIRM_AFTER only if the desk confirmed it, more than INTAKE_CALL_MAX_AGE never."""
    if not calls:
        return ()
    if form_opened_at is None or sent_at is None:
        return refuse(
            EmergencyReason.CALL_TIME_MISSING,
            "登记时记录拨打须同时提交表单打开时间和发送时间",
            "Calls recorded at intake need the form's opening time and its sending time",
            kind="invalid",
            missing=[n for n, v in (("form_opened_at", form_opened_at), ("sent_at", sent_at)) if v is None],
        )
    placed: list[PublicCall] = []
    for call in calls:
        if call.number not in numbers:
            return refuse(
                EmergencyReason.CALL_NOT_CALLED_FOR,
                f"此类事件登记时只能记录拨打 {'、'.join(str(n) for n in numbers) or '（无）'}；其他号码请在登记后记录",
                f"At intake this matter records calls to {', '.join(str(n) for n in numbers) or 'no number'} "
                "only; record any other call on the case once registered",
                kind="invalid",
                number=str(call.number),
                numbers=[str(n) for n in numbers],
            )
        if call.at > sent_at:
            return refuse(
                EmergencyReason.CALL_IN_FUTURE,
                "拨打时间不能晚于提交时间",
                "A call cannot be later than the form was sent",
                kind="invalid",
                number=str(call.number),
            )
        if call.at < form_opened_at:
            return refuse(
                EmergencyReason.CALL_BEFORE_FORM,
                "拨打时间不能早于打开受理表单的时间",
                "A call cannot be earlier than the intake form was opened",
                kind="invalid",
                number=str(call.number),
            )
        age = sent_at - call.at
        minutes_ago = int(age.total_seconds() // 60)
        if age > INTAKE_CALL_MAX_AGE:
            hours = int(INTAKE_CALL_MAX_AGE.total_seconds() // 3600)
            return refuse(
                EmergencyReason.CALL_TOO_OLD,
                f"拨打 {call.number} 的标记已超过 {hours} 小时，不能按标记时间记录；请撤销该标记，如确已拨打，请在事项内容中写明拨打时间",
                f"The call to {call.number} was marked more than {hours} h ago and cannot be recorded at that time; "
                "remove the mark and, if the call was made, give its time in the details",
                kind="invalid",
                number=str(call.number),
                minutes_ago=minutes_ago,
                max_hours=hours,
            )
        if age > INTAKE_CALL_CONFIRM_AFTER and not call.confirmed:
            after = int(INTAKE_CALL_CONFIRM_AFTER.total_seconds() // 60)
            return refuse(
                EmergencyReason.CALL_NOT_CONFIRMED,
                f"拨打 {call.number} 的标记已超过 {after} 分钟，请确认是为本次事项拨打的",
                f"The call to {call.number} was marked more than {after} min ago; confirm it was made for this request",
                kind="invalid",
                number=str(call.number),
                minutes_ago=minutes_ago,
                confirm_after_minutes=after,
            )
        placed.append(PublicCall(number=call.number, by=by, at=now - age,
                                 confirmed=call.confirmed and age > INTAKE_CALL_CONFIRM_AFTER))
    return tuple(sorted(placed, key=lambda c: c.at))


# --- escalation (R-EM-2) -----------------------------------------------------------------------


def reached_someone(state: EmergencyState) -> bool:
    """Whether the escalation chain reached the manager or a leader (R-DI-2's report, R-EM-2)."""
    return any(a.reached for a in state.attempts)


def _acknowledged(state: EmergencyState) -> bool:
    return any(a.reached and a.acknowledged_at is not None for a in state.attempts)


def next_escalation_target(
    state: EmergencyState, now: datetime, unacked_after_minutes: int = DEFAULT_UNACKED_AFTER_MINUTES
) -> Role | None:
    """Whom to try next, or None when someone acknowledged or we are waiting for an answer.

    A reached person who has not acknowledged within `unacked_after_minutes` counts as not
    reached: the fastest means matter more than politeness in an emergency. Once the chain is
    exhausted the general manager stays the target — there is nobody higher to go to.
    """
    if _acknowledged(state):
        return None
    if not state.attempts:
        return ESCALATION_CHAIN[0]
    last = state.attempts[-1]
    if last.reached and now - last.at < timedelta(minutes=unacked_after_minutes):
        return None
    idx = ESCALATION_CHAIN.index(last.target_role)
    return ESCALATION_CHAIN[min(idx + 1, len(ESCALATION_CHAIN) - 1)]


def record_attempt(
    state: EmergencyState,
    *,
    target_role: Role,
    target_id: str | None,
    means: Means,
    reached: bool,
    now: datetime,
    target_roles: Iterable[str] | None = None,
) -> EmergencyState | Refusal:
    """Record one attempt to reach someone in the chain, refusing to skip a level (R-EM-2).

    `target_roles` are the roles of the account named as `target_id` (none when it is no active account
    of the compound); the service always looks them up. A named person must hold the rung's role
    (D89): the desk now calls people by name from the directory, and only the person named may confirm
    taking charge, so a name that is not the manager's would leave the rung waiting on nobody."""
    if target_role not in ESCALATION_CHAIN:
        return refuse(
            EmergencyReason.OUT_OF_CHAIN,
            "紧急上报对象只能是管理处负责人、主管副总或总经理",
            "Emergencies escalate only to the manager, deputy GM or general manager",
            kind="invalid",
            target_role=str(target_role),
        )
    if target_id is not None and target_roles is not None and str(target_role) not in {str(r) for r in target_roles}:
        return refuse(
            EmergencyReason.TARGET_NOT_IN_ROLE,
            "所选人员不担任该级职务，请按通讯录选择",
            "The person chosen does not hold this level's role; choose from the directory",
            kind="invalid",
            target_role=str(target_role),
            target_id=target_id[:64],
        )
    idx = ESCALATION_CHAIN.index(target_role)
    if idx > 0:
        below = ESCALATION_CHAIN[idx - 1]
        tried_below = [a for a in state.attempts if a.target_role == below]
        if not tried_below:
            return refuse(
                EmergencyReason.CHAIN_ORDER,
                "须先尝试联系上一级",
                "Try the previous level of the chain first",
                must_try=str(below),
            )
    attempt = EscalationAttempt(
        target_role=target_role, target_id=target_id, at=now, means=means, reached=reached
    )
    return msgspec.structs.replace(state, attempts=(*state.attempts, attempt))


def awaiting_acknowledgement(state: EmergencyState) -> tuple[EscalationAttempt, ...]:
    """Reached attempts nobody has confirmed yet, while no one has taken charge (R-EM-2).

    The people named in them are asked, wherever they look, to confirm that they have taken charge.
    """
    if state.settled_at is not None or any(a.acknowledged_at is not None for a in state.attempts):
        return ()
    return tuple(a for a in state.attempts if a.reached and a.acknowledged_at is None)


def acknowledge(
    state: EmergencyState, *, by: str, by_roles: frozenset[str], now: datetime
) -> EmergencyState | Refusal:
    """The reached person confirms they have taken charge of the escalation.

    Only that person may: the attempt's named target, or, when the desk recorded only the level,
    someone holding that role. The desk cannot acknowledge for them: an unconfirmed reach keeps
    the chain climbing (R-EM-2), which is the point of asking for the confirmation.
    """
    pending = False
    for i in range(len(state.attempts) - 1, -1, -1):
        a = state.attempts[i]
        if not a.reached or a.acknowledged_at is not None:
            continue
        pending = True
        if a.target_id == by or (a.target_id is None and a.target_role in by_roles):
            acked = msgspec.structs.replace(a, acknowledged_at=now, target_id=a.target_id or by)
            attempts = (*state.attempts[:i], acked, *state.attempts[i + 1 :])
            return msgspec.structs.replace(state, attempts=attempts)
    if pending:
        return refuse(
            EmergencyReason.ACK_BY_OTHER,
            "只有被联系到的负责人本人可以确认接手",
            "Only the person who was reached can confirm they have taken charge",
        )
    return refuse(
        EmergencyReason.NO_REACHED_ATTEMPT,
        "没有可确认的上报记录",
        "There is no reached escalation attempt to acknowledge",
    )


# --- summons -----------------------------------------------------------------------------------


def summon(
    state: EmergencyState, *, role: SummonedRole, person_id: str | None, now: datetime
) -> EmergencyState | Refusal:
    if any(s.role == role for s in state.summons):
        return refuse(EmergencyReason.ALREADY_SUMMONED, "该负责人已通知", "Already summoned", role=str(role))
    item = Summons(role=role, person_id=person_id, summoned_at=now)
    return msgspec.structs.replace(state, summons=(*state.summons, item))


def held_post(s: Summons, person_id: str, *, holds_now: bool, at: datetime | None = None) -> bool:
    """Whether `person_id` held the post of summons `s` at `at` (None: now), from whether they hold it
    now and the changes recorded on the summons: the first change after `at` says what was before it."""
    if at is None:
        return holds_now
    later = next((ch for ch in s.holder_changes if ch.person_id == person_id and ch.at > at), None)
    return holds_now if later is None else not later.held


def summons_for(
    state: EmergencyState, *, user_id: str, posts: Iterable[str], at: datetime | None = None
) -> tuple[Summons, ...]:
    """The summons `user_id` answers: those naming them, and those naming nobody for a post they hold.

    The desk summons a post (保安队长) and may name the person it reached; when it names nobody,
    everyone holding the post is called (D89), and any of them may report back. A summons naming
    someone else is not theirs, whatever post they hold. Such a summons follows its post: `at`, when a
    step was tapped, judges it by who held the post then (a phone syncs later); whoever already said
    from their phone that they are on the scene keeps it after leaving the post."""
    held = {str(p) for p in posts}
    return tuple(s for s in state.summons
                 if s.person_id == user_id or (s.person_id is None and (
                     user_id in s.on_scene or held_post(s, user_id, holds_now=str(s.role) in held, at=at))))


def summons_recipients(s: Summons, holders: Sequence[str]) -> tuple[str, ...]:
    """Whose phones keep summons `s`: the person it names; else the post's `holders` now and whoever is
    on the scene from it (who may have left the post since), each once."""
    if s.person_id:
        return (s.person_id,)
    return tuple(dict.fromkeys((*holders, *s.on_scene)))


def post_changed_hands(
    state: EmergencyState, *, post: SummonedRole, gained: Sequence[str], lost: Sequence[str], by: str,
    now: datetime,
) -> EmergencyState | None:
    """The people who took up (`gained`) or left (`lost`) `post` are recorded on the summons naming
    nobody that calls it; None when there is none (a summons naming a person stays with that person)."""
    for i, s in enumerate(state.summons):
        if s.person_id is None and s.role == post and (gained or lost):
            changes = (*(HolderChange(person_id=p, held=False, at=now, by=by) for p in lost),
                       *(HolderChange(person_id=p, held=True, at=now, by=by) for p in gained))
            moved = msgspec.structs.replace(s, holder_changes=(*s.holder_changes, *changes))
            return msgspec.structs.replace(state, summons=(*state.summons[:i], moved, *state.summons[i + 1 :]))
    return None


def report_arrival(
    state: EmergencyState, *, role: SummonedRole, report: str | None, now: datetime, by: str | None = None,
    on_scene: str | None = None,
) -> EmergencyState | Refusal:
    """A summoned person reports from the scene; R-EM-2 wants them to report back.

    `now` is when it happened: the desk records it as it hears it; a phone's step is placed when it was
    tapped, and may reach the server after a later one (cases.report_from_scene). So the arrival is the
    earliest one recorded, and a report replaces the one shown only if it is not older than it (the older
    one stays in the history). `on_scene`: the person who said so from their own phone (not the desk)."""
    for i, s in enumerate(state.summons):
        if s.role == role:
            arrived = now if s.arrived_at is None else min(s.arrived_at, now)
            newer = report is not None and (s.reported_at is None or now >= s.reported_at)
            updated = msgspec.structs.replace(
                s,
                arrived_at=arrived,
                report=report if newer else s.report,
                reported_at=now if newer and report else s.reported_at,
                reported_by=by if newer and report else s.reported_by,
                on_scene=s.on_scene if on_scene is None or on_scene in s.on_scene else (*s.on_scene, on_scene),
            )
            return msgspec.structs.replace(
                state, summons=(*state.summons[:i], updated, *state.summons[i + 1 :])
            )
    return refuse(EmergencyReason.NOT_SUMMONED, "该负责人未被通知", "Not summoned", role=str(role))


# --- leadership instructions (R-EM-4) ----------------------------------------------------------


def add_instruction(
    state: EmergencyState, *, instruction_id: str, text: str, given_by: str, now: datetime
) -> EmergencyState | Refusal:
    if not text.strip():
        return refuse(
            EmergencyReason.EMPTY_TEXT, "指示内容不能为空", "Instruction text is empty", kind="invalid"
        )
    if not given_by.strip():
        # R-EM-4 tracks each instruction of the leadership: who gave it is what the follow-up asks.
        return refuse(
            EmergencyReason.NO_GIVER, "请填写下达指示的领导", "Say which leader gave the instruction",
            kind="invalid",
        )
    if any(x.id == instruction_id for x in state.instructions):
        return refuse(EmergencyReason.DUPLICATE_INSTRUCTION, "指示编号重复", "Duplicate instruction id")
    item = Instruction(id=instruction_id, text=text, given_by=given_by.strip(), given_at=now)
    return msgspec.structs.replace(state, instructions=(*state.instructions, item))


def complete_instruction(
    state: EmergencyState, *, instruction_id: str, by: str, result: str, now: datetime
) -> EmergencyState | Refusal:
    for i, x in enumerate(state.instructions):
        if x.id == instruction_id:
            if x.done_at is not None:
                return refuse(EmergencyReason.INSTRUCTION_DONE, "该指示已完成", "Instruction already done")
            done = msgspec.structs.replace(x, done_at=now, done_by=by, result=result)
            return msgspec.structs.replace(
                state, instructions=(*state.instructions[:i], done, *state.instructions[i + 1 :])
            )
    return refuse(
        EmergencyReason.UNKNOWN_INSTRUCTION, "找不到该指示", "Unknown instruction", kind="not_found"
    )


# --- the dispatcher's post (R-EM-3) ------------------------------------------------------------


def settle(state: EmergencyState, *, by: str, now: datetime) -> EmergencyState | Refusal:
    """The event has settled: the dispatcher may leave the post."""
    if state.settled_at is not None:
        return refuse(EmergencyReason.ALREADY_RELEASED, "事态已平息", "Already settled")
    return msgspec.structs.replace(state, settled_at=now, settled_by=by)


def take_over(state: EmergencyState, *, by: str, now: datetime) -> EmergencyState | Refusal:
    """Someone else takes the post; the person held there is released, the newcomer is held."""
    if by == state.at_post_id:
        return refuse(EmergencyReason.TAKEOVER_BY_SELF, "不能由本人接替", "Cannot take over from oneself")
    return msgspec.structs.replace(state, taken_over_by=by, taken_over_at=now, at_post_id=by)


def holds_post(state: EmergencyState, person_id: str) -> bool:
    """True while `person_id` must stay at the post (R-EM-3)."""
    return state.settled_at is None and state.at_post_id == person_id


def missing_to_close(state: EmergencyState) -> list[str]:
    """What still stops an emergency case from closing, apart from the manager's approval."""
    missing: list[str] = []
    if not _acknowledged(state):
        missing.append("escalation_acknowledged")
    if state.settled_at is None:
        missing.append("event_settled")
    if not state.summons:
        # R-EM-2 calls the responsible people to the scene and hears their report: an emergency
        # nobody was summoned to has not been handled by the procedure, whatever its outcome.
        missing.append("responsible_summoned")
    elif any(s.reported_at is None for s in state.summons):
        missing.append("summons_reported")
    if any(x.done_at is None for x in state.instructions):
        missing.append("instructions_done")
    return missing
