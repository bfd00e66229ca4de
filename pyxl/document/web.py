"""A saved 政府信息公开 web page (.html/.htm): only the document's body, not the site around it.

A government site wraps the document in its menus, a breadcrumb (当前位置：首页 >
…), an index table (索引号、发布机构、文号), share buttons and a footer (主办单位：…
ICP备案号) — a footer's 主办单位 must never be read as a task's lead unit. The
body is the element whose own paragraphs and tables carry the most text that is
not a link (the idea of Readability, on BeautifulSoup's tree); the page's title
heading before it is kept, since a page without a cover notice has its title
only there. Paragraphs become lines and tables rows (colspan and rowspan kept
on the table's grid; a row that is one cell across the table is a section).
The page's encoding comes from its <meta charset>; GB2312 is read as GB18030,
which is what such pages really hold.
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from pyxl.common.errors import PyxlError
from pyxl.document.read import Line, table_line

_DROP = ("script", "style", "noscript", "template", "iframe", "nav", "header", "footer", "aside", "form",
         "select", "button", "input", "textarea", "object", "embed", "svg")
_CONTAINERS = ("div", "article", "section", "main", "td", "body", "center", "font")
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "blockquote", "dd", "dt")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([-\w]+)""", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\r\f\v\u3000\xa0]+")


def _decode(data: bytes) -> str:
    declared = _CHARSET.search(data[:4096])
    names = [declared[1].decode("ascii").lower()] if declared else []
    names = ["gb18030" if name in ("gb2312", "gbk", "x-gbk", "gb_2312-80") else name for name in names]
    for name in [*names, "utf-8", "gb18030"]:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def _own_text(element: Tag) -> int:
    """Length of the element's text that is not inside a link."""
    total = len(element.get_text(strip=True))
    links = sum(len(a.get_text(strip=True)) for a in element.find_all("a"))
    return total - links


def _data_table(element: Tag) -> bool:
    """A table of content (the 分工表), not one laying out the page: it holds no table itself."""
    return element.name == "table" and element.find("table") is None


def _is_leaf_block(element: Tag) -> bool:
    if element.name in _BLOCKS or _data_table(element):
        return True
    return element.name in ("div", "td", "section") and element.find(["p", "div", "table", "section", "li"]) is None


def _body(soup: BeautifulSoup) -> Tag:
    """The element that holds the document: the most own text in its paragraphs and tables.

    Older sites lay the whole page out in nested tables: only a table holding no
    other table is content; the cells of the layout tables are containers.
    """
    scores: dict[int, tuple[int, Tag]] = {}
    for block in soup.find_all(lambda t: _is_leaf_block(t)):
        table = block.find_parent("table")
        if table is not None and _data_table(table) and block.name != "table":
            continue  # a content table's cells count with their table
        parent = block.find_parent(_CONTAINERS)
        if parent is None:
            continue
        score = _own_text(block)
        if score <= 0:
            continue
        key = id(parent)
        scores[key] = (scores.get(key, (0, parent))[0] + score, parent)
    if not scores:
        return soup.body or soup
    return max(scores.values(), key=lambda pair: pair[0])[1]


def _title_before(soup: BeautifulSoup, body: Tag) -> str:
    """The page's heading for the document (an h1/h2 or a …title… element) before the body."""
    for element in body.find_all_previous(lambda t: t.name in ("h1", "h2", "h3") or _titled(t)):
        text = _clean(element.get_text(" ", strip=True))
        if 6 <= len(text) <= 120 and not element.find_parent("a"):
            return text
    # else the browser's title, without the site's name after it (…的通知_政府文件_某县人民政府)
    page = soup.title.get_text(strip=True) if soup.title else ""
    return _clean(re.split(r"\s*[_|｜]\s*|\s+[-－—]\s+", page)[0]) if page else ""


def _titled(tag: Tag) -> bool:
    names = " ".join(tag.get("class", []) or []) + " " + (tag.get("id") or "")
    return tag.name in ("div", "p", "span", "td") and "title" in names.lower() and tag.find(["div", "table"]) is None


def _clean(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _table_rows(table: Tag, start: int) -> list[Line]:
    """The table's rows on its grid: a colspan covers columns to its right, a rowspan the rows below."""
    grid: list[list[tuple[str, bool] | None]] = []
    for r, tr in enumerate(tr for tr in table.find_all("tr") if tr.find_parent("table") is table):
        while len(grid) <= r:
            grid.append([])
        row = grid[r]
        c = 0
        for cell in tr.find_all(["td", "th"], recursive=False):
            while c < len(row) and row[c] is not None:
                c += 1
            text = "\n".join(_clean(part) for part in cell.get_text("\n").split("\n") if _clean(part))
            colspan = _span(cell.get("colspan"))
            rowspan = _span(cell.get("rowspan"))
            for dr in range(rowspan):
                while len(grid) <= r + dr:
                    grid.append([])
                target = grid[r + dr]
                while len(target) < c + colspan:
                    target.append(None)
                for dc in range(colspan):
                    # below: the merged cell's text again (a lead unit merged down over its tasks)
                    target[c + dc] = (text if dc == 0 else "", dc > 0)
            c += colspan
    width = max((len(row) for row in grid), default=0)
    lines = []
    for offset, row in enumerate(grid):
        cells = [(cell or ("", False)) for cell in row] + [("", False)] * (width - len(row))
        if any(text for text, _ in cells):
            lines.append(table_line(start + offset, [t for t, _ in cells], [s for _, s in cells]))
    return lines


def _span(value) -> int:
    try:
        return max(1, min(int(str(value).strip()), 100))
    except (TypeError, ValueError):
        return 1


def _lines(body: Tag) -> list[Line]:
    lines: list[Line] = []
    buffer: list[str] = []

    def flush() -> None:
        text = _clean("".join(buffer))
        buffer.clear()
        if text:
            lines.append(Line(len(lines) + 1, text))

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, NavigableString):
                if child.__class__.__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction", "CData"):
                    continue
                buffer.append(str(child).replace("\n", " "))
            elif isinstance(child, Tag):
                if child.name == "br":
                    flush()
                elif child.name == "table":
                    flush()
                    lines.extend(_table_rows(child, len(lines) + 1))
                elif child.name in _BLOCKS or child.name in ("div", "section", "article", "tr", "center"):
                    flush()
                    walk(child)
                    flush()
                else:
                    walk(child)

    walk(body)
    flush()
    return lines


# A government page nests a few dozen elements; reading one nested thousands deep would take
# time that grows with the square of the depth (and Python's stack), for a page no site serves.
_MAX_DEPTH = 256


def _depth_over(soup: BeautifulSoup, limit: int) -> bool:
    """Whether any element lies more than `limit` elements deep (walked with a list, not recursion)."""
    stack = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))
    return False


def html_lines(path: Path) -> list[Line]:
    """Lines of the document body of a saved web page (see the module's docstring)."""
    path = Path(path)
    soup = BeautifulSoup(_decode(path.read_bytes()), "lxml")
    if soup.find(True) is None:
        raise PyxlError(f"{path.name} 不是网页文件：请在浏览器中打开政府信息公开页面，另存为「网页，仅 HTML」后重试。")
    if _depth_over(soup, _MAX_DEPTH):
        raise PyxlError(f"{path.name} 的网页结构异常（元素嵌套超过 {_MAX_DEPTH} 层，正常的网页只有几十层）：请在浏览器中重新打开"
                        "政府信息公开页面另存为「网页，仅 HTML」，或把正文复制到 .txt 文件后重试。")
    for element in soup.find_all(_DROP):
        element.decompose()
    body = _body(soup)
    lines = _lines(body)
    title = _title_before(soup, body)
    if title and not any(line.text == title for line in lines[:5]):
        lines.insert(0, Line(0, title))
    return lines
