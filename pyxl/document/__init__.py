"""The duty document (责任分工) → the duty table.

Owns: reading each document format into numbered lines — one dispatch by
format in `read` (.txt/.md and .docx there, Word numbering in `numbering`;
.xlsx/.xls/.et/.ods in `sheets`, .pdf in `pdf`, saved web pages in `web`,
tables copied one cell per line in `flat`, .doc/.wps through LibreOffice in
`office`) —, recognising tasks, sections, unit labels and table columns by
meaning (parse, labels), and the targets and deadlines in a task's text
(targets, deadlines).

May import: pyxl.common.
Must not import: any later stage, the pipeline or a shell.
"""
