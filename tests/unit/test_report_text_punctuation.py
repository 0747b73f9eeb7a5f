"""The monthly report's Chinese wording uses Chinese punctuation and shows no rule numbers (D131).

The rate definitions the report page prints beside every rate (server/domain/monthly_report.py) read
"× 100%;尚未判定的投诉不计入", "无回收票时不计算(显示“—”)" and ended "目标：每件求助 5 分钟内答复(R-IN-5)":
ASCII ; ( ) inside Chinese sentences, and a rule number the manager has no use for. This scan reads
every string literal of the report's modules (the domain's definitions and labels, the XLSX workbooks'
headings) and fails naming each Chinese text with an ASCII ; , ( ) or : (a clock's 12:00 aside), and
each text, in either language, that shows a rule number (R-XX-n): the rules are cited in comments and
tests, not to the reader. English keeps its ASCII punctuation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.unit.test_server_text_spacing import _FIELD, _texts

SERVER = Path(__file__).resolve().parents[2] / "server"
# The report's own wording: its figures and definitions, and the workbooks written from them.
REPORT_MODULES = [SERVER / "domain" / "monthly_report.py", *sorted((SERVER / "reports").glob("*.py"))]

CJK = re.compile(r"[\u3400-\u9fff]")
# ; , ( ) anywhere in a Chinese text, and a colon that is not a clock's (12:00).
ASCII_IN_ZH = re.compile(r"[;,()]|(?<!\d):|:(?!\d)")
RULE_NO = re.compile(r"\bR-[A-Z]{2}-\d")


def ascii_in_chinese(text: str) -> list[str]:
    s = _FIELD.sub("{}", text)  # a {placeholder} or {:02d} format is code, not text
    return ASCII_IN_ZH.findall(s) if CJK.search(s) else []


def shows_rule_number(text: str) -> bool:
    return bool(RULE_NO.search(text))


def test_the_scan_tells_chinese_punctuation_from_ascii():  # D131
    assert ascii_in_chinese("× 100%;尚未判定的投诉不计入") == [";"]
    assert ascii_in_chinese("无回收票时不计算(显示“—”)") == ["(", ")"]
    assert ascii_in_chinese("特约服务收入(元)") == ["(", ")"]
    assert ascii_in_chinese("目标:每件求助") == [":"]
    assert ascii_in_chinese("赔付金额较大,须协商") == [","]
    assert ascii_in_chinese("× 100%；尚未判定的投诉不计入（显示“—”）：目标，") == []
    assert ascii_in_chinese("上班 08:30") == []
    assert ascii_in_chinese("{y}年{m:02d}月") == []
    assert ascii_in_chinese("Late (min): a, b; c") == []  # English keeps its punctuation
    assert shows_rule_number("目标：每件求助 5 分钟内答复(R-IN-5)")
    assert shows_rule_number("Help requests: reply within 5 minutes (R-IN-5)")
    assert not shows_rule_number("求助 5 分钟内答复")


def test_report_texts_use_chinese_punctuation_and_show_no_rule_numbers():  # D131 R-RV-5
    found = []
    for path in REPORT_MODULES:
        for line, text in _texts(ast.parse(path.read_text(encoding="utf-8"))):
            marks = ascii_in_chinese(text)
            if marks or shows_rule_number(text):
                found.append(f"{path.relative_to(SERVER)}:{line}: {''.join(marks) or 'R-'} in {text[:70]!r}")
    assert found == [], "\n".join(found)
