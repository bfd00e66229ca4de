"""The example unit directory in config.yaml: every unit the document names, groups, placeholders."""

from __future__ import annotations

import re

from pyxl.common.config import load_settings
from pyxl.common.units import UnitIndex
from pyxl.example import example_config

STREETS = ["文昌街道", "崮云湖街道", "平安街道", "五峰山街道", "归德街道", "张夏街道", "万德街道", "孝里街道", "马山镇", "双泉镇"]


def _index() -> UnitIndex:
    return UnitIndex(load_settings(example_config()).unit_directory())


def test_spelling_variants_and_typos_resolve_to_one_unit():
    index = _index()
    for raw, canonical in [
        ("区工业和信息化和科技局", "区工业信息化和科技局"),
        ("区工业和信息化科技局", "区工业信息化和科技局"),
        ("区教育局体育局", "区教育体育局"),
        ("区域管局", "区城管局"),
        ("茵云湖街道", "崮云湖街道"),
        ("区发展改革\n\n局", "区发展改革局"),
    ]:
        assert index.resolve(raw).canonical == canonical, raw


def test_unknown_unit_gets_the_closest_suggestion():
    found = _index().resolve("区农业农材局")
    assert found.canonical is None and found.suggestion == "区农业农村局"


def test_groups_expand_and_open_groups_are_never_guessed():
    index = _index()
    assert index.expand("各街镇") == (STREETS, False)
    platforms, is_open = index.expand("各平台公司")
    assert not is_open and "济清公司" in platforms and "区产发集团" in platforms
    for name in ("相关部门", "各部门", "有关部门"):
        assert index.resolve(name).is_group and index.expand(name) == ([], True)
    assert index.resolve("有关单位").canonical == "有关部门"


def test_kinds_and_placeholder_contacts():
    directory = load_settings(example_config()).unit_directory()
    kinds = {u.name: u.kind for u in directory.units}
    assert all(kinds[s] == "街镇" for s in STREETS)
    assert kinds["市生态环境局长清分局"] == kinds["市公安局长清区分局"] == "市直派驻机构"
    assert kinds["济清公司"] == "平台公司"
    emails = [e for u in directory.units for e in u.emails]
    assert len(emails) == len(set(emails)) == len(directory.units)
    assert all(re.fullmatch(r"[a-z]+@changqing\.example", e) for e in emails)
    assert all(u.contact == "待填写" for u in directory.units)


def test_a_street_named_lead_and_through_各街镇_responsible_is_lead_once():
    from pyxl.common.model import Task

    task = Task("19", "二", None, "高铁片区", lead_units=["文昌街道"], responsible_units=["区投资促进局", "各街镇", "文昌街道"])
    leads, responsible = _index().task_units(task)
    assert leads == ["文昌街道"]
    assert responsible[0] == "区投资促进局" and "文昌街道" not in responsible
    assert len(responsible) == 1 + 9 and len(set(responsible)) == len(responsible)


def test_pick_takes_any_spelling_and_a_group_for_its_available_members():
    available = ["区工业信息化和科技局", "文昌街道", "崮云湖街道", "区财政局"]
    chosen, unmatched = _index().pick(["区工业和信息化和科技局", "各街镇", "区财政局", "区财政局", "区财正局"], available)
    assert chosen == ["区工业信息化和科技局", "文昌街道", "崮云湖街道", "区财政局"]
    assert [(r.raw, r.suggestion) for r in unmatched] == [("区财正局", "区财政局")]


def test_the_unit_a_file_name_names_is_the_longest_spelling_it_holds_first_in_the_directory_on_a_tie():
    """UnitLookup.named_in, found through an index, says what trying every spelling longest first says."""
    import random

    from pyxl.common.model import Unit, UnitDirectory
    from pyxl.common.units import normalise_name
    from pyxl.returns.check import UnitLookup

    rng = random.Random(15)
    pieces = ["区", "财政", "局", "发展", "改革", "委", "教育", "体育", "街道", "办事处", "文化", "旅游", "卫生", "健康"]

    def word(low: int, high: int) -> str:
        return "".join(rng.choice(pieces) for _ in range(rng.randint(low, high)))

    for _ in range(40):
        names = list(dict.fromkeys(word(2, 4) for _ in range(30)))
        directory = UnitDirectory(tuple(Unit(name, "区直部门", aliases=(word(1, 3), word(2, 2))) for name in names))
        lookup = UnitLookup(directory)
        tried = sorted(((normalise_name(s), u.name) for u in directory.units for s in (u.name, *u.aliases)
                        if len(normalise_name(s)) >= 3), key=lambda pair: -len(pair[0]))
        for _ in range(50):
            text = normalise_name(f"{rng.randint(1, 99):03d}_{word(1, 6)}（{word(0, 2)}）")
            assert lookup.named_in(text) == next((unit for spelled, unit in tried if spelled in text), None)
