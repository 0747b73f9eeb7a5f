"""When a printed release slip's copy is set in its smaller type (server/services/slip_print.crowded): a
copy with more than six items, or whose long parts (items, gate names, a written authorisation) would not
leave its signatures, guard's line and footer on its A6 page at 8 pt (R-RS-4, D136)."""

from __future__ import annotations

from server.services.slip_print import crowded

OWNER_FIELDS = ["1栋-101", "黄业主（业主本人）", "业主/登记家属本人办理", "北门（N）、南门（S）",
                "2026/12/07 19:55 至 2026/12/08 19:55", "王调度 2026/12/07 19:55", "居民身份证 ****123X"]
# The nanny's slip of D136: six items, one with a long Chinese name, four gates, a written letter.
NANNY_FIELDS = ["1栋-101", "王保姆（保姆）", "凭业主书面授权办理", "北门（N）、南门（S）、东门（E）、地库出口（B1）",
                "2026/12/07 19:55 至 2026/12/09 19:55", "李前台 2026/12/07 19:55", "居民身份证 ****5678",
                "受托人 王保姆 · 日期 2026/12/07 · 物品 同下表 · 附 委托书、业主身份证复印件"]
NANNY_ITEMS = ["海尔BCD-470WDPG 十字对开门冰箱（含原装包装箱及配件）", "笔记本电脑", "纸箱", "电动自行车", "台式电脑主机", "书架"]
LONG_EN_FIELDS = [
    "1栋-101", "Maria Fernanda Dela Cruz-Santos Villanueva (Nanny)", "On the owner's written authorisation",
    "North Gate, Huangshan Road main entrance (N), South Gate by the kindergarten (S), East Gate, Riverside Avenue "
    "side door (E), West Gate beside the clubhouse (W), Basement 1 vehicle exit ramp (Block 3) (B1), Basement 2 "
    "loading bay behind Block 7 (B2)",
    "2026/12/07 19:55 to 2026/12/09 19:55", "李前台 2026/12/07 19:55", "Passport ****5678",
    "delegate Maria Fernanda Dela Cruz-Santos Villanueva · date 2026/12/07 · items as listed below · attached: letter, "
    "owner's ID copy",
]


def test_a_short_slip_keeps_the_normal_type():  # R-RS-4
    assert not crowded(OWNER_FIELDS, ["冰箱", "电视机"])
    assert not crowded(NANNY_FIELDS, NANNY_ITEMS)


def test_more_than_six_items_set_the_copy_smaller():  # R-RS-4
    assert crowded(OWNER_FIELDS, ["纸箱"] * 7)


def test_six_long_english_items_with_long_gate_names_and_a_letter_set_the_copy_smaller():  # R-RS-4, R-RS-3
    # At 8 pt this copy ran onto a second A6 page: its signatures, guard's line and footer alone there.
    items = ["Samsung 65-inch QLED television and stand", "Dell XPS 15 laptop with charger and dock",
             "Five-shelf oak bookcase, flat-packed, 3 bx", "Electric bicycle with spare battery pack",
             "Haier side-by-side fridge, original box", "Yamaha upright piano with bench and cover"]
    assert crowded(LONG_EN_FIELDS, items)
    assert not crowded(LONG_EN_FIELDS, items[:1])
