"""Quantitative targets in a task's text: 增长 5.6%（力争 6%）, 260 家, 1000 亿元以上 …

A target is a number with a unit, the metric it measures (the words before
it, or after it when those are only a verb), a kind, a comparator and the 力争
stretch value. Numbers that only name things (规模以上, PM2.5, 5G, 12345,
15 分钟, 三年行动, "2+2", years) are masked out first so they never become
targets.
"""

from __future__ import annotations

import re
from dataclasses import replace

from pyxl.common.model import Target, stretch_exceeds_in

# Masked before looking for numbers: these digits name things, they are not targets.
_NOT_TARGETS = re.compile(
    r"规模以上|限额以上|省级以上|市级以上|国家级以上|市考以上"
    r"|PM\s*2\.5|PM\s*10|[345]G|12345|\d+\s*分钟|[一二三四五六七八九十\d]+年行动"
    r"|\d+\s*[+＋]\s*\d+|(?:19|20)\d{2}\s*年|\d+\s*号|\d+\s*月份?|\d+\s*日|[一二三四]季度"
    r"|第[一二三四五六七八九十\d]+|每\s*\d+\s*(?:个工作日|工作日|天|周|小时)"
)

_MONEY = ("亿元", "万元", "元", "亿美元", "万美元", "美元")
_MEASURE = (
    "平方公里", "平方米", "立方米", "公里", "千米", "公顷", "亩", "吨标准煤", "吨标煤", "吨",
    "千瓦时", "千瓦", "兆瓦时", "兆瓦", "千伏安", "米",
)
# A concentration is a level to stay under all year (PM2.5 控制在35微克/立方米以内), never counted up by month.
_CONCENTRATION = ("微克/立方米", "微克每立方米", "毫克/立方米", "毫克/升", "毫克每升")
_COUNT = (
    "个百分点", "人次", "家", "个", "人", "所", "处", "张", "条", "项", "名", "座", "户", "套",
    "间", "台", "辆", "场", "次", "批", "种", "件", "栋", "株", "棵", "位", "强", "个工作日", "工作日", "天",
)
_DAYS = ("天", "工作日", "个工作日")
_UNITS = sorted(_MONEY + _MEASURE + _CONCENTRATION + _COUNT + ("%", "％"), key=len, reverse=True)

_NUMBER = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)\s*(?P<mag>万|亿)?\s*(?P<approx>余|多)?\s*"
    r"(?P<unit>" + "|".join(re.escape(u) for u in _UNITS) + r")"
    r"(?P<after>\s*(?:及以上|以上|以内|以下|左右))?"
)
_ZERO_GROWTH = re.compile(r"[“\"‘]?零增长[”\"’]?")

_AT_LEAST = ("超过", "不低于", "不少于", "达到", "达", "突破", "高于", "以上")
_AT_MOST = ("不超过", "不高于", "控制在", "低于", "以内", "以下", "压缩至", "压缩到", "压减至", "缩短至", "缩短到")
_GROWTH_WORDS = ("增长", "增速", "增幅", "下降", "降低", "减少", "提高", "提升")
_DECREASE_WORDS = ("下降", "降低", "减少")
# Verbs and fillers trimmed off a metric's ends: the metric is what is measured.
_METRIC_TAIL = re.compile(
    r"(?:分别|进入|前|稳定在|控制在|保持在|压缩至|压缩到|压减至|缩短至|缩短到|不低于|不少于|不超过|超过|达到|实现|增长|增速|增幅|下降|降低|减少|提高|提升|突破|达|在|为|约|共|等)+$"
)
_METRIC_HEAD = re.compile(
    r"^(?:争取|确保|力争|全年|今年|年内|年度|全区|其中|实现|并|和|及|、|，"
    r"|年底前|年底|年末|上半年|下半年|\d{1,2}\s*月(?:份|底|末)?前?|[一二三四]季度(?:末|底)?前?)+"
)
# A head made only of these words is a verb, not a metric: the metric follows the number
# (推进45个重点在谈项目签约落地). 新增就业 or 开工项目 are metrics in their own right.
_VERB_ONLY = re.compile(
    r"^(?:推进|推动|建成|新建|建设|完成|培育|引进|招引|签约|打造|新增|实施|改造|开展|举办|创建|争创"
    r"|认定|备案|培训|带动|吸引|促进|落地|组织|服务|全区|累计|力争|争取|确保|实现|达到|达|共|约)*$"
)
_CLAUSE_BREAK = re.compile(r"[，。；;,：:！？!?（(）)]")
_CONNECTOR_ONLY = re.compile(r"^[\s和及与、，,%％]*$")
_QUOTES = "“”\"‘’「」"


# 细颗粒物（PM2.5）: a name in brackets, though it holds digits
_NAME_PARENS = re.compile(r"[（(](?:[^（()）\d，。；;,力争]{1,8}|PM\s*2\.5|PM\s*10)[）)]")


def _soften(text: str) -> str:
    """`text` with short parentheses that are part of a name (新（续）建, （西校区）) filled in.

    Positions are kept, so clause and tail breaks found in the result apply to `text`;
    a parenthesis holding a number (（力争 6%）) still breaks the clause.
    """
    return _NAME_PARENS.sub(lambda m: "□" * len(m.group()), text)


def _mask(text: str) -> str:
    """`text` with excluded numbers replaced by same-length filler (positions kept)."""
    return _NOT_TARGETS.sub(lambda m: "□" * len(m.group()), text)


def _kind(unit: str, context: str, before: str) -> str:
    if unit in _MONEY:
        return "amount"
    if unit in _MEASURE:
        return "measure"
    if unit in _CONCENTRATION:
        return "level"
    if unit in ("%", "％"):
        return "growth" if any(w in context for w in _GROWTH_WORDS) else "ratio"
    if unit == "个百分点":
        return "ratio"
    if unit in ("位", "名", "强") and before.endswith("前"):
        return "level"
    return "count"


def _unquote(text: str) -> str:
    """Drop a quote mark left unpaired at either end (“一次办” keeps both)."""
    text = text.strip()
    if text[:1] in _QUOTES and not any(q in text[1:] for q in "”\"’」"):
        text = text[1:]
    if text[-1:] in _QUOTES and not any(q in text[:-1] for q in "“\"‘「"):
        text = text[:-1]
    return text.strip()


def _comparator(before: str, after: str, kind: str, decrease: bool) -> str:
    if before.endswith(("不低于", "不少于", "不小于")):
        return ">="
    if after.strip() in ("以内", "以下") or any(before.endswith(w) for w in _AT_MOST) or kind == "level":
        return "<="
    if decrease:
        return "<="
    return ">="


_TAIL_BREAK = re.compile(r"[，。；;,：:！？!?、（(]|并")


def _clause_start(soft: str, at: int) -> int:
    """Where the clause holding position `at` starts (`soft`: the text with name brackets filled in)."""
    return max((m.end() for m in _CLAUSE_BREAK.finditer(soft, 0, at)), default=0)


def _trim_metric(words: str) -> str:
    """`words` without the fillers before a metric (全年, 力争 …) and the verbs after it (增长, 达到 …)."""
    return _METRIC_TAIL.sub("", _METRIC_HEAD.sub("", words))


def _metric(text: str, start: int, end: int, match_end: int) -> tuple[str, int, int]:
    """The metric of a number at text[start:end], where its phrase starts and ends in `text`."""
    head = text[start:end]
    # the words right after the number when the words before are only a verb (推进45个重点项目)
    tail = text[match_end:][: len(_TAIL_BREAK.split(_soften(text[match_end:]), maxsplit=1)[0])]
    cleaned = _unquote(_trim_metric(head.strip()))
    lead = len(head) - len(head.lstrip())
    offset = start + lead + (len(head.strip()) - len(_METRIC_HEAD.sub("", head.strip())))
    tail_clean = re.sub(r"^(?:及以上|以上|以内|以下|左右)", "", tail).strip()
    verb_only = bool(_VERB_ONLY.match(cleaned))
    if tail_clean and (verb_only or head.rstrip().endswith("等")):
        metric = _unquote(re.sub(r"(?<=..)(?:建设|工作)$", "", tail_clean))
        return metric, offset, match_end + len(tail.rstrip())
    return cleaned, offset, match_end


def find_targets(text: str) -> list[Target]:
    """Every quantitative target of a task's text, in order."""
    masked = _mask(text)
    soft = _soften(text)
    targets: list[Target] = []
    starts: list[int] = []  # where each target's phrase starts
    previous_end = 0
    for match in _NUMBER.finditer(masked):
        clause_start = _clause_start(soft, match.start())
        start = max(clause_start, previous_end)
        between = text[start : match.start()]
        full_before = text[clause_start : match.start()]
        value = float(match["num"])
        unit = match["unit"].replace("％", "%")
        if match["mag"] and unit not in _MONEY:
            value *= 10_000 if match["mag"] == "万" else 100_000_000
        elif match["mag"]:
            unit = match["mag"] + unit if unit in ("元", "美元") else unit
        value = round(value, 6)
        stretch_zone = text[previous_end : match.start()]
        if targets and "力争" in stretch_zone and targets[-1].unit == unit and targets[-1].stretch is None:
            # 增长 5.6%（力争超过 5.6%）: a second, higher bar of the target before it
            close = text.find("）", match.end())
            close_half = text.find(")", match.end())
            ends = [c + 1 for c in (close, close_half) if c != -1 and c - match.end() <= 3]
            phrase_end = min(ends) if ends else match.end()
            # 力争超过 5.6%: the same number as the target, but a bar to pass, not to reach
            exceeds = stretch_exceeds_in(stretch_zone[stretch_zone.rfind("力争") :])
            targets[-1] = replace(
                targets[-1], stretch=value, stretch_exceeds=exceeds, phrase=text[starts[-1] : phrase_end].strip()
            )
            previous_end = phrase_end
            continue
        decrease = any(w in full_before for w in _DECREASE_WORDS) and unit in ("%", "个百分点")
        kind = _kind(unit, full_before, between.rstrip())
        if targets and _CONNECTOR_ONLY.match(between) and targets[-1].unit == unit and clause_start < previous_end:
            # 分别增长 5.5%和 6%以上: the same metric, a second value
            first = targets[-1]
            phrase = text[starts[-1] : match.end()].strip()
            metric = first.metric
            if metric.startswith("城乡") and "分别" in phrase:
                targets[-1] = replace(first, metric="城镇" + metric[2:], phrase=phrase)
                metric = "农村" + metric[2:]
            else:
                targets[-1] = replace(first, phrase=phrase)
            comparator = _comparator(between, match["after"] or "", first.kind, decrease)
            targets.append(Target(phrase, metric, value, unit, first.kind, comparator))
            starts.append(starts[-1])
            previous_end = match.end()
            continue
        metric, metric_start, phrase_end = _metric(text, start, match.start(), match.end())
        if decrease:
            value = -value
        comparator = _comparator(between.rstrip(), match["after"] or "", kind, decrease)
        if unit in _DAYS and comparator == "<=":
            kind = "level"  # a time limit (压缩至3个工作日) is a level to keep, not days counted up by month
        phrase = text[metric_start:phrase_end].strip()
        targets.append(Target(phrase, metric, value, unit, kind, comparator))  # type: ignore[arg-type]
        starts.append(metric_start)
        previous_end = match.end()
    for zero in _ZERO_GROWTH.finditer(text):
        clause_start = _clause_start(soft, zero.start())
        head = text[clause_start : zero.start()]
        metric = _trim_metric(re.sub(r"^(?:实现|推动|确保)", "", head.strip()))
        targets.append(Target(text[clause_start : zero.end()].strip(), _unquote(metric) or "增长", 0.0, "%", "growth", "<="))
    return targets
