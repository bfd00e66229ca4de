"""What people read: the summary workbook, the 督查通报, the 督办单, charts, the 仪表盘.

Owns: rendering a period's judgement — never recounting it — into the
summary workbook (summary), the bulletin and notices (report), PNG charts
(charts) and the dashboard tables and native charts (dashboard).

May import: pyxl.common and the stages below it.
Must not import: master, the pipeline or a shell.
"""
