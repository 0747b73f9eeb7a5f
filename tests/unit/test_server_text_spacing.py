"""Every text the server shows spaces a number from its unit the way the PWA does (D84, D114, D118).

The desk showed its own 求助 5 分钟内答复 beside the server's clock label 求助5分钟内答复. This scan
reads every string literal in server/ (f-strings with their {expressions} read as {}) and fails naming
each one where a digit or a {placeholder} is glued to a unit, or a Chinese character is glued to a
number that a unit follows. The units are the PWA scan's (pwa/test/duration-spacing.test.mjs:
分钟/小时/天, min/h/d) and the counts the server writes (个工作日, 件, 条, 字). Dates (2024年3月) and
building numbers (1栋) are not spans and stay as they are written, as in the PWA.

Docstrings and bare string statements are skipped (they quote the old wording), and so are
migrations (history: a later one may have to name a stored old text).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"

UNITS_ZH = "分钟|小时|天|个工作日|工作日|件|条|字"
_NUMBER = r"(?:\d|\{\})"
GLUED_ZH = re.compile(rf"{_NUMBER}(?:{UNITS_ZH})")
# 求助5 分钟, {who}{n} 分钟: the number is glued to the Chinese (or a name put in) before it.
GLUED_BEFORE = re.compile(rf"(?:[\u4e00-\u9fff]|\{{\}})(?:\d+(?:\.\d+)?|\{{\}})\s*(?:{UNITS_ZH})")
GLUED_EN = re.compile(rf"{_NUMBER}(?:min|h|d)\b")
# A str.format field with its name or spec ({n}, {:02d}) reads as {}: '02d' is a format, not 2 days.
_FIELD = re.compile(r"\{[^{}]*\}")


def _texts(tree: ast.AST) -> list[tuple[int, str]]:
    skip: set[int] = set()
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            skip.add(id(node.value))  # a docstring
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            skip.add(id(node.format_spec))
            skip.update(id(v) for v in ast.walk(node.format_spec))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            skip.update(id(v) for v in parts)
            out.append((node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in parts)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append((node.lineno, node.value))
    return out


def glued(text: str) -> bool:
    s = _FIELD.sub("{}", text)
    return bool(GLUED_ZH.search(s) or GLUED_BEFORE.search(s) or GLUED_EN.search(s))


def test_the_scan_knows_glued_from_spaced():  # D114
    assert glued("求助5分钟内答复")
    assert glued("求助 5分钟内答复")
    assert glued("求助5 分钟内答复")
    assert glued("请在{}分钟内确认")
    assert glued("不超过{max_validity.days}天")
    assert glued("{who}{minutes} 分钟内未确认")
    assert glued("First follow-up 2h after opening")
    assert not glued("求助 5 分钟内答复")
    assert not glued("请在 {} 分钟内确认")
    assert not glued("{who} {minutes} 分钟内未确认")
    assert not glued("{}年{:02d}月")
    assert not glued("1栋-101")
    assert not glued("First follow-up 2 h after opening")


def test_no_server_text_glues_a_number_to_its_unit():  # D114
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        if "migrations" in path.relative_to(SERVER).parts:
            continue
        for line, text in _texts(ast.parse(path.read_text(encoding="utf-8"))):
            if glued(text):
                found.append(f"{path.relative_to(SERVER)}:{line}: {text[:80]}")
    assert found == [], "\n".join(found)
