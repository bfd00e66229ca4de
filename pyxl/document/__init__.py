"""The duty document (责任分工) → the duty table.

Owns: reading each document format into numbered lines (read, numbering),
recognising tasks, sections and unit labels (parse, labels), and the targets
and deadlines in a task's text (targets, deadlines).

May import: pyxl.common.
Must not import: any later stage, the pipeline or a shell.
"""
