"""`pyxl report`: consolidates, then writes the bulletin and the 督办单 into out/<period>/."""

from __future__ import annotations

from docx import Document

from pyxl.cli import main


def _text(path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_report_command_on_a_workspace_with_no_returns(workspace, capsys):
    code = main(["--config", str(workspace / "config.yaml"), "report", "--period", "2025-06", "--as-of", "2025-07-10"])
    out = workspace / "out" / "2025-06"
    assert code == 1  # every unit is overdue: red flags to act on
    assert (out / "督查通报_2025-06.docx").exists() and (out / "督查通报_2025-06.html").exists()
    bulletin = _text(out / "督查通报_2025-06.docx")
    assert "确定重点任务89项" in bulletin and "未报送89项、占100.0%" in bulletin
    notices = sorted(p.name for p in (out / "督办单").iterdir())
    assert "区财政局.docx" in notices and not [n for n in notices if "、" in n]
    # the 督办单 folder opens for colleagues like the bulletin beside it (a temporary folder's 0700 is not kept)
    assert (out / "督办单").stat().st_mode & 0o777 == (out / "督办单").parent.stat().st_mode & 0o777
    assert not [p for p in out.iterdir() if p.name.startswith(".~pyxl-")]
    assert "请于2025年7月17日前回复" in capsys.readouterr().out


def test_workspace_template_overrides_the_bundled_one(workspace):
    local = workspace / "templates" / "report"
    local.mkdir(parents=True)
    (local / "bulletin.html.j2").write_text("<p>本区自定义通报：任务{{ task_total }}项</p>", encoding="utf-8")
    (local / "task_history.html.j2").write_text(
        "{% macro page(number, title, leads, first_label, last_label, rows, as_of) %}<h1>本区任务{{ number }}</h1>{% endmacro %}"
        "{% macro index(heading, span, tasks) %}<p>共{{ tasks|length }}项</p>{% endmacro %}", encoding="utf-8")
    main(["--config", str(workspace / "config.yaml"), "report", "--period", "2025-06", "--as-of", "2025-07-10"])
    out = workspace / "out" / "2025-06"
    html = (out / "督查通报_2025-06.html").read_text(encoding="utf-8")
    assert html == "<p>本区自定义通报：任务89项</p>"
    assert (out / "任务历程" / "任务_1.html").read_text(encoding="utf-8") == "<h1>本区任务1</h1>"
    assert (out / "任务历程" / "index.html").read_text(encoding="utf-8") == "<p>共89项</p>"


def test_a_broken_task_history_template_stops_the_report_naming_it(workspace, capsys):
    local = workspace / "templates" / "report"
    local.mkdir(parents=True)
    for broken in ("{% macro page(number) %}<h1>{{ number }}</h1>{% endmacro %}",  # no index
                   "{% macro page(number) %}{% endmacro %}{% macro index(heading, span, tasks) %}{% endmacro %}",  # too few names
                   "{% macro page( %}"):  # not a template
        (local / "task_history.html.j2").write_text(broken, encoding="utf-8")
        code = main(["--config", str(workspace / "config.yaml"), "report", "--period", "2025-06", "--as-of", "2025-07-10"])
        err = capsys.readouterr().err
        assert code == 2 and "task_history.html.j2" in err and "任务历程模板" in err and "程序内部错误" not in err, err


def test_a_county_workspace_issues_a_county_bulletin(workspace):
    """A 县 office sets district (and, if it likes, office.*) in config.yaml: every output names the 县."""
    config = workspace / "config.yaml"
    text = config.read_text(encoding="utf-8").replace("district: 长清区", "district: 平阴县", 1)
    config.write_text(text.replace('number_prefix: ""', 'number_prefix: "平政督"', 1), encoding="utf-8")
    main(["--config", str(config), "report", "--period", "2025-06", "--as-of", "2025-07-10"])
    out = workspace / "out" / "2025-06"
    bulletin = _text(out / "督查通报_2025-06.docx")
    assert "按照县政府工作安排，平阴县人民政府督查室" in bulletin and "平阴县人民政府督查室将跟踪督办" in bulletin
    # (unit names such as 市生态环境局长清分局 keep their own words)
    assert "平政督〔2025〕6号" in bulletin and "长清区人民政府" not in bulletin and "区政府工作安排" not in bulletin
    html = (out / "督查通报_2025-06.html").read_text(encoding="utf-8")
    assert "按照县政府工作安排" in html and "长清区人民政府" not in html
    notice = next((out / "督办单").iterdir())
    form = "\n".join(cell.text for table in Document(str(notice)).tables for row in table.rows for cell in row.cells)
    assert "平阴县人民政府督查室" in _text(notice) + form and "长清区人民政府" not in _text(notice) + form
