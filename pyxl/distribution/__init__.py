"""The per-unit sheets the office sends out (分发).

Owns: the sheet as a contract between split and collect (layout), writing
one unit's workbook (unit_sheet) and planning and writing the month's set
with its manifest (split); the 督办单 回执, the workbook a unit answers a
督办单 in, as a contract between report and collect (notice_reply).

May import: pyxl.common, pyxl.document.
Must not import: mail, returns, judgement, outputs, master, the pipeline or a shell.
"""
