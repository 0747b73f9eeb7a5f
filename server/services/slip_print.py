"""The printed release slip 放行通知单 (R-RS-4): both copies as one HTML page, in the desk's language.

Pure: `render` is given everything it prints (the slip, its QR, the gate names, the signature images,
the guard's name) and reads no database or clock; server/services/gate.py `print_html` loads them.
Styles come from /print-slip.css: the CSP allows no inline style. Each copy is laid out to fit one
105 × 148 mm (A6) page (D136), a dozen long items included; a longer one runs on, each of its pages headed
with the title, the slip's code and the copy's label, its signature blocks kept whole.
"""

from __future__ import annotations

import base64
import html
import math
import re
import unicodedata
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from server.domain import release_slips as rs
from server.domain.release_slips import Relation, ReleaseSlip, SlipState

Lang = Literal["zh", "en"]
PRINTABLE_TYPES = ("image/png", "image/jpeg", "image/webp")

# Every word the slip prints, per language. The record's own text (names, units, items, gate names)
# is printed as it was entered.
_WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "html_lang": "zh-CN", "title": "放行通知单", "code": "放行码", "unit": "房号", "requester": "申请人",
        "path": "办理方式", "gates": "出入口", "valid": "有效期", "valid_range": "{a} 至 {b}", "issued": "开单",
        "id_check": "查验证件", "eng": "确认人", "eng_note": "确认备注", "auth": "书面授权", "auth_delegate": "受托人 {name}", "auth_date": "日期 {date}",
        "auth_items": "物品 {items}", "auth_items_below": "物品 同下表", "auth_attached": "附 {files}",
        "letter": "委托书", "id_copy": "业主身份证复印件", "item": "物品", "qty": "数量", "notes": "备注",
        "valuable": "贵重", "large": "大件", "tool": "工具", "sig_requester": "申请人签名", "sig_owner": "业主签名",
        "sig_letter_owner": "业主授权签名（书面授权委托书）", "signed_at": "签于 {t}", "sig_paper": "书面委托书签名，见附件",
        "sig_missing": "已电子签名（图像不可用）", "guard": "护卫员", "gate": "出入口", "released_at": "放行时间",
        "footer": "本单一式两联；安全护卫部联每十天交回服务中心存档。",
        "copy_service_centre": "第一联 服务中心联", "copy_security": "第二联 安全护卫部联",
        "released": "已放行", "revoked": "已作废", "expired": "已过期",
    },
    "en": {
        "html_lang": "en", "title": "Release slip", "code": "Code", "unit": "Unit", "requester": "Requester",
        "path": "Issued as", "gates": "Gates", "valid": "Valid", "valid_range": "{a} to {b}", "issued": "Issued",
        "id_check": "ID checked", "eng": "Confirmed by", "eng_note": "Note",
        "auth": "Written authorisation", "auth_delegate": "delegate {name}",
        "auth_date": "date {date}", "auth_items": "items {items}", "auth_items_below": "items as listed below",
        "auth_attached": "attached: {files}", "letter": "letter", "id_copy": "owner's ID copy", "item": "Item",
        "qty": "Qty", "notes": "Notes", "valuable": "Valuable", "large": "Large", "tool": "Tool",
        "sig_requester": "Requester's signature", "sig_owner": "Owner's signature",
        "sig_letter_owner": "Owner's signature (written authorisation)", "signed_at": "signed {t}",
        "sig_paper": "Signed on the paper letter, see the attachment",
        "sig_missing": "Signed electronically (image unavailable)", "guard": "Guard", "gate": "Gate",
        "released_at": "Released at",
        "footer": "Made out in two copies; security hands its copies to the service centre every 10 days for the archive.",
        "copy_service_centre": "Copy 1 · Service centre", "copy_security": "Copy 2 · Security",
        "released": "Released", "revoked": "Revoked", "expired": "Expired",
    },
}
_RELATION = {
    Relation.OWNER: ("业主本人", "Owner"), Relation.HOUSEHOLD_MEMBER: ("登记家属", "Registered household member"),
    Relation.TENANT: ("租户", "Tenant"), Relation.NANNY: ("保姆", "Nanny"), Relation.FRIEND: ("亲友", "Friend"),
    Relation.EMPLOYEE: ("雇员", "Employee"), Relation.UNREGISTERED_RELATIVE: ("未登记亲属", "Relative (not registered)"),
    Relation.CONTRACTOR: ("施工人员", "Contractor"), Relation.RENOVATION_WORKER: ("装修工人", "Renovation worker"),
}
_PATH = {
    rs.IssuePath.SELF: ("业主/登记家属本人办理", "Owner or registered household member in person"),
    rs.IssuePath.DELEGATE: ("凭业主书面授权办理", "On the owner's written authorisation"),
    rs.IssuePath.HANDOVER_CONTRACTOR: ("交接验收期·工程部确认", "Hand-over period, engineering confirmed"),
    rs.IssuePath.RENOVATION_TOOLS: ("装修工具·业主确认", "Renovation tools, owner confirmed"),
}
_ID_TYPE = {
    rs.IdType.RESIDENT_ID_CARD: ("居民身份证", "Resident ID card"), rs.IdType.PASSPORT: ("护照", "Passport"),
    rs.IdType.HK_MACAO_PERMIT: ("港澳居民来往内地通行证", "HK/Macao permit"),
    rs.IdType.TAIWAN_PERMIT: ("台湾居民来往大陆通行证", "Taiwan permit"),
    rs.IdType.FOREIGN_RESIDENCE_PERMIT: ("外国人永久居留身份证", "Foreign residence permit"),
    rs.IdType.OTHER: ("其他证件", "Other ID"),
}
_STAMP = {SlipState.RELEASED: "released", SlipState.REVOKED: "revoked", SlipState.EXPIRED: "expired"}
_SIGNER = {rs.Signer.REQUESTER: "sig_requester", rs.Signer.OWNER: "sig_owner", rs.Signer.LETTER_OWNER: "sig_letter_owner"}
_COPIES = ("service_centre", "security")
# When a copy is set in smaller type (print-slip.css .copy-dense): past six items, or past the lines an
# A6 copy holds at the normal 8 pt beside its fixed parts (header, signatures, guard's line, footer), as
# estimated by `crowded`. A dozen items with 40-character names then still fit one page per copy.
DENSE_AFTER_ITEMS = 6
NORMAL_LINES = 22


class _Html(str):
    """Text already escaped for the page (it holds the time spans)."""


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "zh" else pair[1]


def _paren(main: str, aside: str, lang: Lang) -> str:
    return f"{main}（{aside}）" if lang == "zh" else f"{main} ({aside})"


def _list(parts: list[str], lang: Lang) -> str:
    return ("、" if lang == "zh" else ", ").join(parts)


def gate_text(code: str, names: dict[str, str], lang: Lang) -> str:
    """"北门（N）" / "北门 (N)": the name people read, with the code the slip and the QR carry; a code
    the compound has not named is shown bare."""
    name = names.get(code)
    return _paren(name, code, lang) if name else code


def render(slip: ReleaseSlip, *, short_code: str, qr_svg: str, state: SlipState, tz: ZoneInfo,
           gate_names: dict[str, str], signed: list[tuple[rs.SignatureRef, tuple[str, bytes] | None]],
           released_by_name: str | None, lang: Lang) -> str:
    w = _WORDS[lang]
    esc = html.escape

    def when(instant: datetime | None) -> str:
        # Paper writes a time one way, the year always (D81: 2026/12/07 19:55, as the service slip
        # prints it), and never breaks it across lines: a span the stylesheet keeps unbroken (D96).
        if instant is None:
            return ""
        return f"<span class=\"t\">{instant.astimezone(tz).strftime('%Y/%m/%d %H:%M')}</span>"

    def flags(item: rs.Item) -> str:
        return " ".join(w[k] for k, on in (("valuable", item.valuable), ("large", item.large), ("tool", item.tool)) if on)

    items = "".join(
        f"<tr><td class=\"name\">{esc(i.name)}</td><td class=\"num\">{i.quantity}</td><td>{esc(flags(i))}</td></tr>"
        for i in slip.items
    )
    # The stamp is read by the desk and the guard in the slip's language: 已放行 or Released, not RELEASED.
    stamp = "" if state is SlipState.ISSUED else f"<p class=\"stamp\">{esc(w[_STAMP.get(state, 'revoked')])}</p>"
    fields = [
        (w["unit"], slip.unit_label),
        (w["requester"], _paren(slip.requester_name, _pick(_RELATION[slip.relation], lang), lang)),
        (w["path"], _pick(_PATH[slip.path], lang)),
        (w["gates"], _list([gate_text(g, gate_names, lang) for g in slip.gates], lang)),
        (w["valid"], _Html(esc(w["valid_range"]).format(a=when(slip.valid_from), b=when(slip.valid_until)))),
        (w["issued"], _Html(f"{esc(slip.issued_by.name)} {when(slip.issued_at)}")),
        *_evidence_rows(slip, lang, when),
    ]
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v if isinstance(v, _Html) else esc(v)}</td></tr>" for k, v in fields)
    # A long copy is set smaller, so a dozen items with long names, long gate names and a written
    # authorisation still leave the signatures, the guard's line and the footer on the copy's page.
    shown = [html.unescape(re.sub(r"<[^>]+>", "", v)) if isinstance(v, _Html) else v for _, v in fields]
    dense = " copy-dense" if crowded(shown, [i.name for i in slip.items]) else ""
    # R-RS-1/R-RS-4: both copies carry the signature captured at the desk, with who signed and when,
    # so the archived copies show the owner's (or household member's) signature, not a blank line.
    signs = "".join(_signature_html(ref, blob, when(slip.issued_at), lang) for ref, blob in signed)
    if not signed:
        signs = f"<div class=\"sig\"><p class=\"sig-label\">{esc(w['sig_requester'])}{_colon(lang)}</p>" \
                "<span class=\"line\"></span></div>"
    guard = _guard_line(slip, released_by_name, gate_names, when, lang)
    out = [
        f"<!doctype html><html lang=\"{w['html_lang']}\"><head><meta charset=\"utf-8\">",
        f"<title>{esc(w['title'])} {esc(short_code)}</title>",
        "<link rel=\"stylesheet\" href=\"/print-slip.css\"></head><body>",
    ]
    for holder in _COPIES:
        # The header carries what names a page of the copy (title, code, copy). It is the head of a table
        # framing the copy because the browser repeats a <thead> on every page a long copy runs onto, and
        # nothing else (a CSS table header group is not repeated). The QR comes first: the fields flow around it.
        out += [
            f"<section class=\"copy copy-{holder}{dense}\">{stamp}<table class=\"frame\"><thead><tr><td>"
            f"<header><h1>{esc(w['title'])}</h1><p class=\"code\">{esc(w['code'])} <strong>{esc(short_code)}</strong></p>"
            f"<p class=\"copy-label\">{esc(w['copy_' + holder])}</p></header></td></tr></thead><tbody><tr><td>",
            f"<div class=\"top\"><div class=\"qr\">{qr_svg}</div><table class=\"fields\">{rows}</table></div>",
            f"<table class=\"items\"><thead><tr><th>{esc(w['item'])}</th><th>{esc(w['qty'])}</th>"
            f"<th>{esc(w['notes'])}</th></tr></thead><tbody>{items}</tbody></table>",
            f"<div class=\"signs signs-{min(len(signed), 2)}\">{signs}</div>{guard}",
            f"<footer>{esc(w['footer'])}</footer></td></tr></tbody></table></section>",
        ]
    out.append("</body></html>")
    return "".join(out)


def _width(text: str) -> int:
    """Width in narrow characters: a Chinese (wide) character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def crowded(values: list[str], item_names: list[str]) -> bool:
    """Whether a copy needs the smaller type to stay on its page: more than six items, or more lines than
    an A6 copy holds at 8 pt, roughly — a field value takes a line per 45 narrow characters (the column
    beside the labels), an item a row per 40 (the name column), a row being a quarter taller than a line."""
    if len(item_names) > DENSE_AFTER_ITEMS:
        return True
    lines = sum(max(1, math.ceil(_width(v) / 45)) for v in values)
    rows = sum(max(1, math.ceil(_width(n) / 40)) for n in item_names)
    return lines + 1.25 * rows > NORMAL_LINES


def _colon(lang: Lang) -> str:
    return "：" if lang == "zh" else ": "


def _guard_line(slip: ReleaseSlip, released_by_name: str | None, gate_names: dict[str, str], when, lang: Lang) -> str:  # noqa: ANN001
    """Who released it, at which gate and when, as the server recorded it (a reprint of a released slip
    is the archive's copy of the release); blanks for the guard to write in while it has not left."""
    w = _WORDS[lang]
    esc = html.escape
    blank = "<span class=\"line\"></span>"
    released = slip.released_at is not None
    parts = (
        (w["guard"], esc(released_by_name or slip.released_by or "") if released else blank),
        (w["gate"], esc(gate_text(slip.released_gate, gate_names, lang)) if released and slip.released_gate else blank),
        (w["released_at"], when(slip.released_at) if released else blank),
    )
    body = " ".join(f"<span class=\"guard-part\">{esc(k)}{_colon(lang)}{v}</span>" for k, v in parts)
    return f"<p class=\"guard\">{body}</p>"


def _evidence_rows(slip: ReleaseSlip, lang: Lang, when) -> list[tuple[str, str]]:  # noqa: ANN001
    """What the desk checked, printed on both copies: the ID shown (type and last four only); for a
    contractor during hand-over, who of engineering confirmed the items, when, and the note they gave
    (R-RS-5); for a delegate, the owner's written authorisation and what is attached to it (R-RS-3). The
    archived copy is the record that the letter was seen, or the confirmation given; without these lines
    it read like an owner's slip."""
    w = _WORDS[lang]
    rows: list[tuple[str, str]] = []
    if slip.id_check is not None:
        rows.append((w["id_check"], f"{_pick(_ID_TYPE[slip.id_check.id_type], lang)} ****{slip.id_check.last4}"))
    eng = slip.engineering_confirmation
    if eng is not None:
        rows.append((w["eng"], _Html(f"{html.escape(eng.confirmed_by.name)} {when(eng.confirmed_at)}")))
        if eng.note.strip():
            rows.append((w["eng_note"], eng.note.strip()))
    auth = slip.authorisation
    if auth is not None and auth.kind is rs.AuthorisationKind.WRITTEN:
        parts = [w["auth_delegate"].format(name=auth.delegate_name or slip.requester_name)]
        if auth.visit_date is not None:
            parts.append(w["auth_date"].format(date=auth.visit_date.strftime("%Y/%m/%d")))  # as paper writes a day (D81)
        if auth.items:
            # The letter names at least the slip's items (R-RS-3). Naming exactly those, it points to the
            # table below instead of listing them twice, which pushed the signatures off an A6 page.
            below = rs.letter_names_just_the_items(slip)
            parts.append(w["auth_items_below"] if below else w["auth_items"].format(items=_list(list(auth.items), lang)))
        attached = [w[k] for k, sha in (("letter", auth.letter_sha256), ("id_copy", auth.owner_id_copy_sha256)) if sha]
        if attached:
            parts.append(w["auth_attached"].format(files=_list(attached, lang)))
        rows.append((w["auth"], " · ".join(parts)))
    return rows


def _signature_html(ref: rs.SignatureRef, blob: tuple[str, bytes] | None, signed_at: str, lang: Lang) -> str:
    w = _WORDS[lang]
    esc = html.escape
    key = "sig_owner" if ref.signer is rs.Signer.REQUESTER and ref.relation is Relation.OWNER else _SIGNER[ref.signer]
    label = w[key]
    relation = _pick(_RELATION[ref.relation], lang)
    who = _paren(ref.name, relation, lang) if ref.name else relation
    head = f"<div class=\"sig\" data-signer=\"{ref.signer}\"><p class=\"sig-label\">{esc(label)}{_colon(lang)}</p>"
    if ref.on_paper:
        # Signed on the paper letter before the visit (D108): the slip points to the attached letter and
        # names no time, since the owner did not sign at the desk when the slip was issued.
        return f"{head}<p class=\"sig-paper\">{esc(w['sig_paper'])}</p><p class=\"sig-who\">{esc(who)}</p></div>"
    if blob is not None and blob[0] in PRINTABLE_TYPES:
        # A data URI: the print page is opened as a blob document and the CSP allows img-src data:.
        src = f"data:{blob[0]};base64,{base64.b64encode(blob[1]).decode()}"
        image = f"<img class=\"sig-img\" alt=\"{esc(label)}\" src=\"{src}\">"
    else:
        image = f"<span class=\"line\">{esc(w['sig_missing'])}</span>"
    # signed_at: a time span, already escaped
    return f"{head}{image}<p class=\"sig-who\">{esc(who)} · {esc(w['signed_at']).format(t=signed_at)}</p></div>"
