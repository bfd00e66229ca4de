"""What people read: the summary workbook, the 督查通报, the 督办单, charts, the 仪表盘.

Owns: rendering a period's judgement — never recounting it — into the
summary workbook (summary), PNG charts (charts), the dashboard tables and
native charts (dashboard), the 任务历程 pages (history_pages) and the month's
report (report), which writes the 通报 and the 督办单 from: the one counting
path and its formatting helpers (counting), the 通报's template context
(bulletin), the 督办单, their 回执 and list (notices) and the DOCX/HTML
rendering (render).

May import: pyxl.common and the stages below it.
Must not import: master, the pipeline or a shell.
"""
