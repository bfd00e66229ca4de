"""The one exception type a user ever sees.

A PyxlError stops a whole step. Its message is one Chinese sentence that names
the file or setting at fault and says what to do next; the CLI prints it and
exits 2, the Excel binding shows it in a message box. Anything else that
escapes is a bug and is logged with its traceback.
"""


class PyxlError(Exception):
    """A step could not run; `str(error)` is the message for the user."""
