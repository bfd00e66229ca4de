"""pyxl — 政府工作报告重点工作督查督办.

The package is a pure core (one module per stage of the monthly loop: parse,
units, split, mail, collect, consolidate, flags, report) and two thin shells
over it: the command line (`pyxl.cli`) and the Excel ribbon (`pyxl.excel`).
`pyxl.pipeline` chains the stages; the shells only call the pipeline.
"""

__version__ = "0.1.0"
