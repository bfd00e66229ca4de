"""Mail: each unit its own sheet, reminders to those missing.

Owns: composing a message (message), SMTP (smtp), the append-only send
ledger (ledger) and the distribution and reminder runs (deliver).

May import: pyxl.common, pyxl.distribution (the manifest and identity sheet).
Must not import: returns, judgement, outputs, master, the pipeline or a shell.
"""
