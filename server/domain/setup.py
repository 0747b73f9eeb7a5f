"""Setting up a real compound from the command line: its name and time zone, and the unit and owner
register read from a spreadsheet (D147).

Pure: the CLI reads the file into rows of strings; what is stored is decided here, and every bad row is
reported with its row number before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain.errors import Refusal, refuse
from server.domain.keys import PHONE

MAX_COMPOUND_NAME = 200  # compounds.name
MAX_NAME = 100  # buildings.name, units.label, people.name


class SetupReason(StrEnum):
    COMPOUND_NOT_FOUND = "compound.not_found"
    # More than one compound: the command must be told which (a first manager put into the wrong one
    # would manage strangers' cases).
    COMPOUND_AMBIGUOUS = "compound.ambiguous"
    COMPOUND_BAD_NAME = "compound.bad_name"
    COMPOUND_EXISTS = "compound.exists"
    BAD_TIME_ZONE = "compound.bad_time_zone"
    IMPORT_BAD_FILE = "import.bad_file"
    IMPORT_BAD_ROWS = "import.bad_rows"


def check_compound_name(name: str, taken: Iterable[str]) -> Refusal | None:
    if not name or len(name) > MAX_COMPOUND_NAME:
        return refuse(SetupReason.COMPOUND_BAD_NAME, f"请填写小区名称（至多 {MAX_COMPOUND_NAME} 字）",
                      f"Give the compound a name (at most {MAX_COMPOUND_NAME} characters)", kind="invalid")
    folded = name.casefold()
    if any(t.casefold() == folded for t in taken):
        return refuse(SetupReason.COMPOUND_EXISTS, f"已有名为「{name}」的小区", f"A compound named {name!r} exists",
                      kind="conflict")
    return None


def check_time_zone(tz: str) -> Refusal | None:
    """An IANA zone: the apps read and show every wall-clock time in it."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return refuse(SetupReason.BAD_TIME_ZONE, f"没有这个时区：{tz}（例如 Asia/Shanghai）",
                      f"No such time zone: {tz} (for example Asia/Shanghai)", kind="invalid")
    return None


# --- the unit and owner register --------------------------------------------------------------

# Header cells accepted for each column, Chinese or English, in any letter case.
COLUMNS: dict[str, tuple[str, ...]] = {
    "building": ("building", "楼栋", "楼号"),
    "unit": ("unit", "房号", "房间号"),
    "floor": ("floor", "楼层"),
    "owner_name": ("owner name", "owner_name", "业主姓名", "业主"),
    "owner_phone": ("owner phone", "owner_phone", "业主电话"),
    "household": ("household members", "household", "家庭成员", "登记家庭成员"),
}
REQUIRED = ("building", "unit")
# Several household members in one cell.
_SEPARATORS = re.compile(r"[;；,，、/\n]+")
# A unit number whose last two digits are the flat on the floor: 101 is floor 1, 1203 floor 12.
_FLOOR_FROM_UNIT = re.compile(r"^(\d{1,3})(\d{2})$")


@dataclass(frozen=True)
class UnitRow:
    row: int  # the spreadsheet's row number (the header is row 1)
    building: str
    label: str  # 楼栋-房号, as the desk shows units ("1栋-101")
    floor: int
    owner_name: str
    owner_phone: str
    household: tuple[str, ...]


@dataclass
class ParsedRegister:
    rows: list[UnitRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _clean(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)  # a spreadsheet's number cell: 101.0 is unit 101
    return " ".join(str(v).split())


def header_map(header: Sequence[object]) -> tuple[dict[str, int], list[str]]:
    """Column index by field, and what is wrong with the header."""
    found: dict[str, int] = {}
    errors: list[str] = []
    for i, cell in enumerate(header):
        text = _clean(cell).casefold()
        if not text:
            continue
        for key, names in COLUMNS.items():
            if text in names:
                if key in found:
                    errors.append(f"第 1 行：列「{_clean(cell)}」重复 / row 1: column {_clean(cell)!r} appears twice")
                found[key] = i
                break
        else:
            errors.append(f"第 1 行：不认识的列「{_clean(cell)}」/ row 1: unknown column {_clean(cell)!r}")
    for key in REQUIRED:
        if key not in found:
            errors.append(f"第 1 行：缺少列 {'/'.join(COLUMNS[key])} / row 1: missing column {COLUMNS[key][0]!r}")
    return found, errors


def parse_register(table: Sequence[Sequence[object]]) -> ParsedRegister:
    """Rows of a CSV or a worksheet, header first, to what is stored; every bad row reported.

    Empty rows are skipped. A unit appears once per file: the file is the register for the units it lists."""
    out = ParsedRegister()
    if not table:
        out.errors.append("文件是空的 / the file is empty")
        return out
    cols, out.errors = header_map(table[0])
    if out.errors:
        return out
    seen: dict[str, int] = {}
    for n, raw in enumerate(table[1:], start=2):
        cells = {k: _clean(raw[i]) if i < len(raw) else "" for k, i in cols.items()}
        if not any(cells.values()):
            continue
        problems: list[tuple[str, str]] = []
        building, unit = cells.get("building", ""), cells.get("unit", "")
        if not building or len(building) > MAX_NAME:
            problems.append(("楼栋为空或过长", "building is empty or too long"))
        if not unit:
            problems.append(("房号为空", "unit is empty"))
        label = f"{building}-{unit}"
        if len(label) > MAX_NAME:
            problems.append(("房号过长", "unit is too long"))
        floor: int | None = None
        if cells.get("floor"):
            try:
                floor = int(cells["floor"])
            except ValueError:
                problems.append((f"楼层「{cells['floor']}」不是整数", f"floor {cells['floor']!r} is not a whole number"))
            else:
                if not -10 <= floor <= 200:
                    problems.append((f"楼层 {floor} 不在 -10 到 200 之间", f"floor {floor} is not between -10 and 200"))
        elif unit:
            m = _FLOOR_FROM_UNIT.match(unit)
            if m:
                floor = int(m.group(1))
            else:
                problems.append((f"无法从房号「{unit}」得出楼层，请加「楼层」列",
                                 f"cannot tell the floor from unit {unit!r}: add a 'floor' column"))
        owner, phone = cells.get("owner_name", ""), cells.get("owner_phone", "")
        if len(owner) > MAX_NAME:
            problems.append(("业主姓名过长", "owner name is too long"))
        if phone and not owner:
            problems.append(("有业主电话但没有业主姓名", "an owner phone without an owner name"))
        if phone and not PHONE.match(phone):
            problems.append((f"业主电话「{phone}」格式不正确", f"owner phone {phone!r} is not a phone number"))
        members = tuple(dict.fromkeys(m.strip() for m in _SEPARATORS.split(cells.get("household", "")) if m.strip()))
        if any(len(m) > MAX_NAME for m in members):
            problems.append(("家庭成员姓名过长", "a household member's name is too long"))
        if building and unit and label.casefold() in seen:
            problems.append((f"与第 {seen[label.casefold()]} 行是同一房屋", f"the same unit as row {seen[label.casefold()]}"))
        if problems:
            out.errors.append(f"第 {n} 行：" + "；".join(zh for zh, _ in problems)
                              + f" / row {n}: " + "; ".join(en for _, en in problems))
            continue
        seen[label.casefold()] = n
        assert floor is not None
        out.rows.append(UnitRow(row=n, building=building, label=label, floor=floor, owner_name=owner,
                                owner_phone=phone, household=members))
    if not out.rows and not out.errors:
        out.errors.append("文件中没有房屋 / the file lists no units")
    return out


def bad_rows(errors: list[str]) -> Refusal:
    return refuse(SetupReason.IMPORT_BAD_ROWS, f"有 {len(errors)} 处错误，未导入任何内容",
                  f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found: nothing was imported",
                  kind="invalid", errors=errors)
