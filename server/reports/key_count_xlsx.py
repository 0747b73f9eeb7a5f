"""Export an ended month's key count to an XLSX workbook (bytes) for the accountant (R-KY-1, D86).

Three sheets: the month's figures with the physical count at the cabinet; the deposits it settled one by
one, to tick against the deposit and refund receipt books, with their totals; and the deposit book that
reconciles them — held at the month's start, taken, refunded, kept and held at its end, each receipt listed
with a subtotal, and held at the start + taken = held at the end + refunded + kept. In the desk's language
(`lang`, "zh" by default, or "en", as the monthly report's workbook, D71); names, reasons and receipt
numbers are written as typed. Money is in yuan, as numbers the accountant can add up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from server.domain.keys import DepositBook, KeyCount, KeyLoan
from server.reports.xlsx import BOLD, MONEY_FORMAT, MONTHS_EN, _append, _header, _Lang, _widths

TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "sheet.count": "盘点汇总", "sheet.deposits": "押金结算明细",
        "title": "{y}年{m}月 钥匙月度盘点", "as_of": "按登记记录统计至月末", "period_start": "统计期间起",
        "period_end": "统计截止",
        "total": "钥匙总数", "in_store": "在柜", "on_loan": "借出", "overdue": "其中超期", "lost": "遗失",
        "lost_in_period": "当月登记遗失", "found_in_period": "当月找回",
        "held": "月末押金借出中（元）", "refunded": "当月退押金（元）", "kept_refunded": "其中找回后退还扣留押金（元）",
        "kept": "当月扣押金净额（元）",
        "physical": "实物盘点", "counter": "盘点人", "witness": "见证人", "counted_at": "盘点时间", "verdict": "核对结果",
        "discrepancy": "差异说明", "matches": "实物与登记一致", "differs": "实物与登记不符", "not_counted": "尚未登记实物盘点",
        "amended": "已更正：原登记", "amend_reason": "更正原因", "amended_by": "更正人", "amended_at": "更正时间",
        "d.at": "结算时间", "d.key": "钥匙", "d.building": "楼栋", "d.floor": "楼层", "d.borrower": "借用人",
        "d.entry": "结算事项", "d.deposit": "押金（元）", "d.deposit_receipt": "押金收据号", "d.refunded": "退还（元）",
        "d.refund_receipt": "退款收据号", "d.kept": "扣留（元）", "d.reason": "扣留或退还原因", "d.by": "经办",
        "d.void": "作废（已更正）",
        "entry.returned": "归还结算", "entry.lost": "遗失结算", "entry.kept_refunded": "找回后退还扣留押金",
        "void": "{reason} · {name} · {at}", "totals": "合计（不含作废）", "none": "当月无押金结算",
        "held_start": "月初押金借出中（元）", "taken": "当月收取押金（元）",
        "sheet.book": "押金收支核对", "book.title": "{y}年{m}月 押金收支核对",
        "book.start": "月初押金借出中（元）", "book.taken": "当月收取押金（元）", "book.refunded": "当月退还押金（元）",
        "book.kept": "当月扣留押金净额（元）", "book.end": "月末押金借出中（元）",
        "book.left": "月初借出中 + 当月收取（元）", "book.right": "月末借出中 + 当月退还 + 当月扣留（元）",
        "book.check": "核对结果", "book.balances": "相符", "book.off": "不符：差额 {diff} 元",
        "s.start": "月初押金借出中", "s.taken": "当月收取押金", "s.refunded": "当月退还押金", "s.kept": "当月扣留押金",
        "s.end": "月末押金借出中",
        "c.receipt": "押金收据号", "c.taken_at": "收取时间", "c.borrower": "借用人", "c.key": "钥匙", "c.deposit": "押金（元）",
        "c.due": "应还时间", "c.refund_receipt": "退款收据号", "c.refunded_at": "退还时间", "c.refunded": "退还（元）",
        "c.note": "说明", "c.kept_at": "扣留时间", "c.kept": "扣留（元）", "c.reason": "扣留原因",
        "subtotal": "小计", "nothing": "无",
    },
    "en": {
        "sheet.count": "Count", "sheet.deposits": "Deposits settled",
        "title": "Monthly key count, {month_en} {y}", "as_of": "From the register as it stood at the month's end",
        "period_start": "Period from", "period_end": "Counted up to",
        "total": "Keys", "in_store": "In store", "on_loan": "On loan", "overdue": "of which overdue", "lost": "Lost",
        "lost_in_period": "Reported lost in the month", "found_in_period": "Found in the month",
        "held": "Deposits held at month end (yuan)", "refunded": "Deposits refunded in the month (yuan)",
        "kept_refunded": "of which kept deposits refunded, key found (yuan)", "kept": "Deposits kept in the month, net (yuan)",
        "physical": "Physical count", "counter": "Counted by", "witness": "Witness", "counted_at": "Counted at",
        "verdict": "Result", "discrepancy": "Discrepancy", "matches": "Keys match the register",
        "differs": "Keys do not match the register", "not_counted": "No physical count recorded yet",
        "amended": "Amended: first entry", "amend_reason": "Reason", "amended_by": "Amended by", "amended_at": "Amended at",
        "d.at": "Settled", "d.key": "Key", "d.building": "Building", "d.floor": "Floor", "d.borrower": "Borrower",
        "d.entry": "Entry", "d.deposit": "Deposit (yuan)", "d.deposit_receipt": "Deposit receipt",
        "d.refunded": "Refunded (yuan)", "d.refund_receipt": "Refund receipt", "d.kept": "Kept (yuan)",
        "d.reason": "Reason kept or refunded", "d.by": "By", "d.void": "Void (corrected)",
        "entry.returned": "Returned", "entry.lost": "Lost", "entry.kept_refunded": "Kept deposit refunded, key found",
        "void": "{reason} · {name} · {at}", "totals": "Totals (void excluded)", "none": "No deposit settled in the month",
        "held_start": "Deposits held at month start (yuan)", "taken": "Deposits taken in the month (yuan)",
        "sheet.book": "Deposit reconciliation", "book.title": "Deposit reconciliation, {month_en} {y}",
        "book.start": "Held at the month's start (yuan)", "book.taken": "Taken in the month (yuan)",
        "book.refunded": "Refunded in the month (yuan)", "book.kept": "Kept in the month, net (yuan)",
        "book.end": "Held at the month's end (yuan)", "book.left": "Held at the start + taken (yuan)",
        "book.right": "Held at the end + refunded + kept (yuan)", "book.check": "Check", "book.balances": "Balances",
        "book.off": "Does not balance: {diff} yuan apart",
        "s.start": "Deposits held at the month's start", "s.taken": "Deposits taken in the month",
        "s.refunded": "Deposits refunded in the month", "s.kept": "Deposits kept in the month",
        "s.end": "Deposits held at the month's end",
        "c.receipt": "Deposit receipt", "c.taken_at": "Taken", "c.borrower": "Borrower", "c.key": "Key",
        "c.deposit": "Deposit (yuan)", "c.due": "Due back", "c.refund_receipt": "Refund receipt",
        "c.refunded_at": "Refunded", "c.refunded": "Refunded (yuan)", "c.note": "Note", "c.kept_at": "Kept", "c.kept": "Kept (yuan)",
        "c.reason": "Reason kept", "subtotal": "Subtotal", "nothing": "None",
    },
}
DATETIME = "%Y-%m-%d %H:%M"


def _yuan(cents: int | None) -> float | str:
    return "" if cents is None else cents / 100


def _money(sheet: Worksheet, columns: Sequence[int]) -> None:
    for col in columns:
        sheet.cell(row=sheet.max_row, column=col).number_format = MONEY_FORMAT


def key_count_xlsx(*, year: int, month: int, start: datetime, end: datetime, count: KeyCount,
                   physical: Mapping[str, Any] | None, settlements: Sequence[Mapping[str, Any]], book: DepositBook,
                   key_labels: Mapping[str, str], tz: tzinfo, lang: str = "zh") -> bytes:
    """`physical` and `settlements` as the month's sheet gives them (services.keyring.month_count), with
    everyone by name; `book` the month's deposits (domain.keys.deposit_book), its keys named by `key_labels`.
    Times are written in `tz`, the compound's zone: Excel cells cannot hold a zone."""
    lg = _Lang(lang)
    lg.text = TEXT[lang]
    wb = Workbook()
    _count_sheet(wb.active, year, month, start, end, count, book, physical, tz, lg)
    _deposits_sheet(wb.create_sheet(lg.t("sheet.deposits")), settlements, tz, lg)
    _book_sheet(wb.create_sheet(lg.t("sheet.book")), year, month, start, end, book, key_labels, tz, lg)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _count_sheet(sheet: Worksheet, year: int, month: int, start: datetime, end: datetime, c: KeyCount,
                 book: DepositBook, physical: Mapping[str, Any] | None, tz: tzinfo, lg: _Lang) -> None:
    sheet.title = lg.t("sheet.count")
    sheet.append([lg.t("title", y=year, m=month, month_en=MONTHS_EN[month - 1])])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([lg.t("as_of")])
    _append(sheet, [lg.t("period_start"), start], tz)
    _append(sheet, [lg.t("period_end"), end], tz)
    sheet.append([])
    for label, value in (("total", c.total), ("in_store", c.in_store), ("on_loan", c.on_loan),
                         ("overdue", c.overdue), ("lost", c.lost), ("lost_in_period", c.lost_in_period),
                         ("found_in_period", c.found_in_period)):
        sheet.append([lg.t(label), value])
    # What was held at the start and taken in the month beside the rest, so the month's identity reads here
    # too; the deposit book sheet lists them receipt by receipt.
    for label, cents in (("held_start", book.held_at_start_cents), ("taken", book.taken_cents),
                         ("held", c.deposits_held_cents), ("refunded", c.deposits_refunded_cents),
                         ("kept_refunded", c.deposits_kept_refunded_cents), ("kept", c.deposits_kept_cents)):
        sheet.append([lg.t(label), _yuan(cents)])
        _money(sheet, [2])
    sheet.append([])
    sheet.append([lg.t("physical")])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    if physical is None:
        sheet.append([lg.t("not_counted")])
    else:
        verdict = lambda matches: lg.t("matches" if matches else "differs")  # noqa: E731
        for label, value in (("counter", physical.get("counted_by_name") or physical["counted_by"]),
                             ("witness", physical.get("witness_name") or ""),
                             ("counted_at", _instant(physical["counted_at"])),
                             ("verdict", verdict(physical["matches_register"])),
                             ("discrepancy", physical.get("discrepancy") or "")):
            _append(sheet, [lg.t(label), value], tz)
        # What a same-day amendment replaced stays on the record, as on the sheet (D86).
        amendments = physical.get("amendments") or []
        if amendments:
            sheet.append([])
            _header(sheet, [lg.t(k) for k in ("amended", "discrepancy", "witness", "amend_reason", "amended_by",
                                              "amended_at")])
            for a in amendments:
                _append(sheet, [verdict(a["matches_register"]), a.get("discrepancy") or "", a.get("witness_name") or "",
                                a["reason"], a.get("amended_by_name") or a["amended_by"], _instant(a["amended_at"])], tz)
    _widths(sheet, [34, 30, 16, 24, 14, 18])


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _deposits_sheet(sheet: Worksheet, settlements: Sequence[Mapping[str, Any]], tz: tzinfo, lg: _Lang) -> None:
    _header(sheet, [lg.t(k) for k in ("d.at", "d.key", "d.building", "d.floor", "d.borrower", "d.entry", "d.deposit",
                                      "d.deposit_receipt", "d.refunded", "d.refund_receipt", "d.kept", "d.reason",
                                      "d.by", "d.void")])
    refunded = kept = 0
    for s in settlements:
        entry = "kept_refunded" if s.get("entry") == "kept_refunded" else s["ended"]
        undone = s.get("undone")
        void = ""
        if undone:
            void = lg.t("void", reason=undone["reason"], name=undone.get("corrected_by_name") or undone["corrected_by"],
                        at=_instant(undone["corrected_at"]).astimezone(tz).strftime(DATETIME))
        else:
            refunded += s["refunded_cents"]
            kept += s["kept_cents"]
        _append(sheet, [_instant(s["settled_at"]), s.get("key_label") or s["key_id"], s.get("key_building") or "",
                        s.get("key_floor") or "", s["borrower_name"], lg.t(f"entry.{entry}"),
                        _yuan(s["deposit_cents"]), s.get("deposit_receipt_no") or "", _yuan(s["refunded_cents"]),
                        s.get("refund_receipt_no") or "", _yuan(s["kept_cents"]), s.get("kept_reason") or "",
                        s.get("settled_by_name") or s["settled_by"], void], tz)
        _money(sheet, [7, 9, 11])
    if not settlements:
        sheet.append([lg.t("none")])
    # The totals are the month's refunded and kept figures on the count sheet: only entries in force.
    sheet.append([lg.t("totals"), "", "", "", "", "", "", "", _yuan(refunded), "", _yuan(kept)])
    _money(sheet, [9, 11])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    _widths(sheet, [18, 20, 10, 8, 14, 22, 12, 14, 12, 14, 12, 24, 12, 36])


def _book_sheet(sheet: Worksheet, year: int, month: int, start: datetime, end: datetime, book: DepositBook,
                key_labels: Mapping[str, str], tz: tzinfo, lg: _Lang) -> None:
    """The month's deposits for the accountant to reconcile (R-KY-1): the figures and the identity on top, then
    each section receipt by receipt with its subtotal. Amounts are in column E throughout; every figure on top
    is the subtotal of its section below, so the identity can be checked from the cells themselves."""
    sheet.append([lg.t("book.title", y=year, m=month, month_en=MONTHS_EN[month - 1])])
    sheet["A1"].font = Font(bold=True, size=14)
    _append(sheet, [lg.t("period_start"), start], tz)
    _append(sheet, [lg.t("period_end"), end], tz)
    sheet.append([])
    held_start, taken, end_held = book.held_at_start_cents, book.taken_cents, book.held_at_end_cents
    refunded, kept = book.refunded_cents, book.kept_cents
    left, right = held_start + taken, end_held + refunded + kept
    for label, cents in (("book.start", held_start), ("book.taken", taken), ("book.end", end_held),
                         ("book.refunded", refunded), ("book.kept", kept), ("book.left", left), ("book.right", right)):
        sheet.append([lg.t(label), _yuan(cents)])
        _money(sheet, [2])
    # Says so if the records ever failed to add up, rather than printing two figures nobody compares.
    check = lg.t("book.balances") if left == right else lg.t("book.off", diff=f"{(left - right) / 100:.2f}")
    sheet.append([lg.t("book.check"), check])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD

    label = lambda loan: key_labels.get(loan.key_id, loan.key_id)  # noqa: E731
    held_head = ("c.receipt", "c.taken_at", "c.borrower", "c.key", "c.deposit", "c.due")

    def held(loan: KeyLoan) -> list[Any]:
        return [loan.deposit_receipt_no or "", loan.lent_at, loan.borrower_name, label(loan), _yuan(loan.deposit_cents),
                loan.due_at]

    refunds = [d for d in book.settled if d.settlement.refunded_cents]
    keeps = [d for d in book.settled if d.settlement.kept_cents]

    def kept_reason(d: Any) -> str:
        # A kept deposit handed back later is a negative entry here (D86): say so beside its reason.
        reason = d.settlement.kept_reason or ""
        return f"{lg.t('entry.kept_refunded')}：{reason}" if d.entry == "kept_refunded" else reason

    def key_of(d: Any) -> str:
        return key_labels.get(d.key_id, d.key_id)

    _section(sheet, lg, "s.start", held_head, [held(x) for x in book.held_at_start], held_start, tz)
    _section(sheet, lg, "s.taken", held_head, [held(x) for x in book.taken], taken, tz)
    _section(sheet, lg, "s.refunded", ("c.refund_receipt", "c.refunded_at", "c.borrower", "c.key", "c.refunded",
                                       "c.receipt", "c.note"),
             [[d.settlement.refund_receipt_no or "", d.settlement.settled_at, d.borrower_name, key_of(d),
               _yuan(d.settlement.refunded_cents), d.deposit_receipt_no or "",
               kept_reason(d) if d.entry == "kept_refunded" else ""] for d in refunds], refunded, tz)
    _section(sheet, lg, "s.kept", ("c.receipt", "c.kept_at", "c.borrower", "c.key", "c.kept", "c.reason"),
             [[d.deposit_receipt_no or "", d.settlement.settled_at, d.borrower_name, key_of(d),
               _yuan(d.settlement.kept_cents), kept_reason(d)] for d in keeps], kept, tz)
    _section(sheet, lg, "s.end", held_head, [held(x) for x in book.held_at_end], end_held, tz)
    _widths(sheet, [40, 18, 16, 20, 14, 24, 30])


def _section(sheet: Worksheet, lg: _Lang, title: str, head: Sequence[str], rows: Sequence[Sequence[Any]],
             subtotal_cents: int, tz: tzinfo) -> None:
    sheet.append([])
    sheet.append([lg.t(title)])
    sheet.cell(row=sheet.max_row, column=1).font = BOLD
    _header(sheet, [lg.t(h) for h in head])
    for row in rows:
        _append(sheet, row, tz)
        _money(sheet, [5])
    if not rows:
        sheet.append([lg.t("nothing")])
    sheet.append([lg.t("subtotal"), "", "", "", _yuan(subtotal_cents)])
    _money(sheet, [5])
    for cell in sheet[sheet.max_row]:
        cell.font = BOLD
