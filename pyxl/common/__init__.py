"""Plain data and small pieces every stage shares.

Owns: the duty table and result types (model), problems as data (problems),
the one user-facing exception (errors), typed settings (config), periods and
working days (period), number readings and the one formula-like test
(values), unit names (units), atomic file writes, staged folders, the workspace lock and
file-system failures in words (files), the cycle collector kept to what a step
makes (collector), the bug log (logs), text sizing for
sheets (sheet_text), untrusted spreadsheets read with limits — a unit's return,
a duty table — (spreadsheets, and what their XML says before the cells, sheet_xml,
whose one pass over an .xlsx also decodes its cell values as python-calamine
would, xlsx_values)
and a task's life after 交办 — deadline changes and 销号 as
dated decisions (life).

May import: nothing of pyxl but pyxl.example (the bundled example's data).
Must not import: any stage, the pipeline or a shell.
"""
