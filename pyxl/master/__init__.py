"""The Excel side: the master workbook Responsibilities.xlsm.

Owns: its data sheets as rows both ways (rows), building the macro workbook
from text sources (build, xlsm), the rows and charts written into the live
workbook (live) and an in-memory workbook behind the adapter interface for
tests and the demo (memory). Never imports xlwings: that is pyxl.excel's.

May import: pyxl.common and every stage (it shows their results).
Must not import: the pipeline or a shell.
"""
