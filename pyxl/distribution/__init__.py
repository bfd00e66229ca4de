"""The per-unit sheets the office sends out (分发).

Owns: the sheet as a contract between split and collect (layout), writing
one unit's workbook (unit_sheet) and planning and writing the month's set
with its manifest (split).

May import: pyxl.common, pyxl.document.
Must not import: mail, returns, judgement, outputs, master, the pipeline or a shell.
"""
