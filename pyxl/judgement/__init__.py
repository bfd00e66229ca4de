"""The period's judgement: consolidation and flags.

Owns: turning the duty table and the accepted returns into task, indicator
and unit results with 序时进度 (consolidate) and the flags (flags); across
the months, the 督办 ladder (escalation), the score (scoring), whether last
month's 督办单 were answered in time (notices) and each task's history
(history). A pure
function of its inputs: it reads no file and no clock.

May import: pyxl.common (and the stages below it for their data types).
Must not import: outputs, master, the pipeline or a shell.
"""
