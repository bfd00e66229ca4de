"""The returns: what the units send back, from the inbox to the archive.

Owns: unpacking what was received — files, zips, saved e-mails .eml and
Outlook .msg (intake, outlook); fetching the office mailbox over IMAP (mailbox);
recognising and
validating one return (check: where the workbook says what it is, identity;
its input cells, cells; the problem codes, codes; the sheets we sent and when,
sent); collecting a batch and reading the units' current returns again
(collect, with the mark of the file being read, reading_mark); the 待确认
returns the office confirms (confirm); the archive of originals and its
ledger, which return supersedes which (archive); each original's parsed cells
kept beside it, so a return is parsed once (parsed); the 佐证材料 that come
with a return, archived per unit and indexed, never opened (evidence); the
returns the office sent back to be redone (sendback); the units' replies to
督办单 (回执), recognised by content and recorded in the same ledger (replies). Everything received is
hostile until read within limits.

May import: pyxl.common, pyxl.document, pyxl.distribution (the sheet layout),
pyxl.mail (the send ledger: when each unit's sheet went out).
Must not import: judgement, outputs, master, the pipeline or a shell.
"""
