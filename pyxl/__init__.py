"""pyxl — 政府工作报告重点工作督查督办.

The folder tree is the monthly loop: one subpackage per stage (document →
distribution → mail → returns → judgement → outputs, with the master workbook
beside them and `common` under all of them), `workspace` and `pipeline`
chaining them, and three thin shells on top: the command line (`pyxl.cli`),
the Excel ribbon (`pyxl.excel`) and the demo (`pyxl.demo`). The README's
"Architecture" section draws it.
"""

__version__ = "0.1.0"
