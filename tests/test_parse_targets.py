"""Targets and deadlines in sentences other districts write: the metric must name what is measured."""

from __future__ import annotations

from datetime import date

import pytest

from pyxl.document.deadlines import find_deadlines
from pyxl.document.targets import find_targets


def _rows(text: str) -> list[tuple]:
    return [(t.metric, t.value, t.unit, t.kind, t.comparator, t.stretch) for t in find_targets(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        # a four-character metric is a metric, not a verb: the stretch in brackets is not its name
        ("新增就业3000人（力争3500人）。", [("新增就业", 3000, "人", "count", ">=", 3500)]),
        ("开工项目20个、竣工项目15个。", [("开工项目", 20, "个", "count", ">=", None), ("竣工项目", 15, "个", "count", ">=", None)]),
        (
            "全年接待游客1000万人次、旅游收入增长10%。",
            [("接待游客", 10_000_000, "人次", "count", ">=", None), ("旅游收入", 10, "%", "growth", ">=", None)],
        ),
        # a verb alone before the number: the metric follows the number, up to 并 / 、 / a comma
        ("推进45个重点在谈项目签约落地。", [("重点在谈项目签约落地", 45, "个", "count", ">=", None)]),
        ("建成3所学校并投入使用。", [("学校", 3, "所", "count", ">=", None)]),
        # deadlines and 全区 / 实现 in front of a metric are not part of it
        ("年底前建成污水处理厂1座。", [("建成污水处理厂", 1, "座", "count", ">=", None)]),
        ("全区新建公园5个。", [("新建公园", 5, "个", "count", ">=", None)]),
        ("实现外贸进出口总额50亿元。", [("外贸进出口总额", 50, "亿元", "amount", ">=", None)]),
        # a parenthesis that is part of a name does not cut the metric off
        ("建设道路（新建）5公里。", [("建设道路（新建）", 5, "公里", "measure", ">=", None)]),
        (
            "推进中峪纵六路等8条新（续）建市政道路建设，让城市更畅通。",
            [("新（续）建市政道路", 8, "条", "count", ">=", None)],
        ),
        # money in US dollars keeps its unit like 亿元
        ("实际使用外资1.2亿美元。", [("实际使用外资", 1.2, "亿美元", "amount", ">=", None)]),
        ("城镇登记失业率控制在3.5%以内。", [("城镇登记失业率", 3.5, "%", "ratio", "<=", None)]),
    ],
)
def test_metric_value_unit_kind_comparator_stretch(text, expected):
    assert _rows(text) == expected


def test_the_phrase_is_the_words_the_target_came_from():
    (target,) = find_targets("年底前建成污水处理厂1座，服务周边群众。")
    assert target.phrase == "建成污水处理厂1座"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("细胞与基因药谷项目6月份竣工投入使用", [("6月份竣工", date(2025, 6, 30))]),
        ("6月底前完成评估，年底前建成", [("6月底前", date(2025, 6, 30)), ("年底前", date(2025, 12, 31))]),
        ("三季度开工，上半年完成", [("三季度", date(2025, 9, 30)), ("上半年", date(2025, 6, 30))]),
        ("今年投入使用，全年完成", [("今年", date(2025, 12, 31)), ("全年", date(2025, 12, 31))]),
        ("尽快开工建设", [("尽快", None)]),
        ("2026年底前建成", [("2026年底前", date(2026, 12, 31))]),
    ],
)
def test_deadlines(text, expected):
    assert [(d.phrase, d.date) for d in find_deadlines(text, 2025)] == expected


@pytest.mark.parametrize(
    "text, stretch, exceeds, shown",
    [
        # 力争超过 the target itself: a bar to pass, not the same bar again
        ("地区生产总值增长 5.6%（力争超过 5.6%）。", 5.6, True, "增长5.6%，力争超过5.6%"),
        ("一般公共预算收入增长 4%（力争实现 4.5%）。", 4.5, False, "增长4%以上，力争4.5%"),
        ("外贸进出口总额50亿元（力争突破60亿元）。", 60, True, "50亿元以上，力争超过60亿元"),
        ("新增就业3000人（力争3500人）。", 3500, False, "3000人以上，力争3500人"),
    ],
)
def test_stretch_that_must_be_exceeded(text, stretch, exceeds, shown):
    from pyxl.distribution.split import target_text

    (target,) = find_targets(text)
    assert (target.stretch, target.stretch_exceeds) == (stretch, exceeds)
    assert target_text(target) == shown


@pytest.mark.parametrize(
    "text, expected",
    [
        # a concentration is a level to stay under; PM2.5 in the metric's name is not a target
        (
            "细颗粒物（PM2.5）平均浓度控制在35微克/立方米以内，空气质量优良天数比例达到80%。",
            [("细颗粒物（PM2.5）平均浓度", 35, "微克/立方米", "level", "<="), ("空气质量优良天数比例", 80, "%", "ratio", ">=")],
        ),
        ("PM2.5年均浓度控制在32微克每立方米以内。", [("PM2.5年均浓度", 32, "微克每立方米", "level", "<=")]),
        ("化学需氧量浓度不超过20毫克/升。", [("化学需氧量浓度", 20, "毫克/升", "level", "<=")]),
        # energy in 万吨标准煤 (万 applied, the unit kept whole) and capacity in 万千瓦
        (
            "能源消费总量控制在260万吨标准煤以内，单位地区生产总值能耗下降3%。",
            [("能源消费总量", 2_600_000, "吨标准煤", "measure", "<="), ("单位地区生产总值能耗", -3, "%", "growth", "<=")],
        ),
        ("新增光伏装机容量10万千瓦。", [("新增光伏装机容量", 100_000, "千瓦", "measure", ">=")]),
        ("城镇化率提高1个百分点以上。", [("城镇化率", 1, "个百分点", "ratio", ">=")]),
        ("空气质量优良天数达到260天以上。", [("空气质量优良天数", 260, "天", "count", ">=")]),
        # a time limit is a ceiling to keep
        ("企业开办时间压缩至1个工作日以内。", [("企业开办时间", 1, "个工作日", "level", "<=")]),
        # still not targets: 5G, 12345, 15 分钟, a frequency
        ("新建5G基站300个，打造“15分钟生活圈”，每15天巡查一次，12345热线满意度达到95%以上。",
         [("新建5G基站", 300, "个", "count", ">="), ("12345热线满意度", 95, "%", "ratio", ">=")]),
    ],
)
def test_units_other_districts_write(text, expected):
    assert [(t.metric, t.value, t.unit, t.kind, t.comparator) for t in find_targets(text)] == expected
