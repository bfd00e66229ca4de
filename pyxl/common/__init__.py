"""Plain data and small pieces every stage shares.

Owns: the duty table and result types (model), problems as data (problems),
the one user-facing exception (errors), typed settings (config), periods and
working days (period), number readings and the one formula-like test
(values), unit names (units), atomic file writes, the workspace lock and
file-system failures in words (files), the bug log (logs) and text sizing for
sheets (sheet_text).

May import: nothing of pyxl but pyxl.example (the bundled example's data).
Must not import: any stage, the pipeline or a shell.
"""
