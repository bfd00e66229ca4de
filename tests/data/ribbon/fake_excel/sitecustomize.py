"""Excel's side of RunPython, for tests that run the command line the ribbon's VBA builds.

The test puts this folder on the PYTHONPATH *environment variable* of the Python it
starts, so Python imports this module at start-up, before the command's own code runs.
It gives xlwings a calling book the way Excel would: `xw.Book.caller()` finds the book
named by the `--wb=<name>` argument, here in the folder PYXL_FAKE_EXCEL_FOLDER. Message
boxes, the status bar and saves are recorded as JSON lines in PYXL_FAKE_EXCEL_LOG,
with the file pyxl was imported from. Nothing of pyxl is imported here, so the test
still sees where the command's own sys.path set-up found pyxl.
"""

import json
import os
import sys

import xlwings


def _record(entry):
    pyxl = sys.modules.get("pyxl")
    entry["pyxl"] = getattr(pyxl, "__file__", None)
    with open(os.environ["PYXL_FAKE_EXCEL_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")


class _App:
    @property
    def status_bar(self):
        return None

    @status_bar.setter
    def status_bar(self, text):
        _record({"status": text})

    def alert(self, message, title=None, buttons="ok"):
        _record({"alert": message, "title": title})
        return "no" if buttons == "yes_no" else "ok"


class _Book:
    def __init__(self, fullname):
        self.fullname = fullname
        self.app = _App()
        self.sheets = []

    def save(self):
        _record({"save": self.fullname})


def _caller():
    names = [arg.split("=", 1)[1] for arg in sys.argv if arg.startswith("--wb=")]
    if not names or "--from_xl=1" not in sys.argv:
        raise RuntimeError(f"not called as RunPython calls: {sys.argv!r}")
    return _Book(os.path.join(os.environ["PYXL_FAKE_EXCEL_FOLDER"], names[0]))


xlwings.Book.caller = staticmethod(_caller)
