"""The test clerk: fills spreadsheets in a real LibreOffice Calc, the way a unit clerk would.

Run by Debian's /usr/bin/python3 (the only interpreter with `uno`), never
imported by pytest:

    /usr/bin/python3 uno_clerk.py JOBS.json RESULTS.json TIMEOUT_SECONDS

JOBS.json is a list of {"source": path, "sheet": name|null,
"values": {"G5": 3400 | "text" | {"date": "2025-07-03"}}, "save_as": [paths]}.
For each job it opens the file, checks that every target cell may be typed
into (UNO setters ignore sheet protection, so the clerk checks for itself),
types the values, recalculates and saves one copy per path (.xlsx, .xls,
.ods by suffix). RESULTS.json gets one {"ok": bool, "error": str} per job.

soffice runs on its own profile in a temporary folder, headless, dies with
this process, and is restarted after the first-start exit (code 81).
"""

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date

import uno
from com.sun.star.beans import PropertyValue

SOFFICE = "/usr/lib/libreoffice/program/soffice.bin"
FILTERS = {".xlsx": "Calc MS Excel 2007 XML", ".xls": "MS Excel 97", ".ods": "calc8"}
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child before exec: the kernel kills it when we die.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _props(**values):
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


class Office:
    """One soffice process on a private profile, and a UNO connection to it."""

    def __init__(self, deadline):
        self.deadline = deadline
        self.profile = tempfile.mkdtemp(prefix="pyxl-clerk-profile-")
        self.pipe = "pyxl_clerk_" + uuid.uuid4().hex
        self.process = None
        self.desktop = None

    def start(self):
        for _attempt in range(4):
            self._spawn()
            while time.monotonic() < self.deadline:
                code = self.process.poll()
                if code is not None:
                    break  # 81: the fresh profile was set up, start again
                try:
                    self._connect()
                    return
                except Exception:
                    time.sleep(0.25)
            else:
                raise RuntimeError("soffice did not answer before the timeout")
        raise RuntimeError("soffice kept exiting at start (last exit code %s)" % self.process.returncode)

    def _spawn(self):
        env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8", SAL_USE_VCLPLUGIN="svp")
        self.process = subprocess.Popen(
            [
                SOFFICE,
                "-env:UserInstallation=" + uno.systemPathToFileUrl(self.profile),
                "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                "--accept=pipe,name=%s;urp;" % self.pipe,
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent, env=env,
        )

    def _connect(self):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        context = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % self.pipe)
        self.desktop = context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)

    def stop(self):
        if self.desktop is not None:
            try:
                self.desktop.terminate()
            except Exception:
                pass
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def _sheet(doc, name):
    sheets = doc.getSheets()
    if name:
        if not sheets.hasByName(name):
            raise ValueError("no sheet named %r" % name)
        return sheets.getByName(name)
    for i in range(sheets.getCount()):
        sheet = sheets.getByIndex(i)
        if sheet.IsVisible:
            return sheet
    raise ValueError("no visible sheet")


def _type(doc, cell, value):
    if isinstance(value, dict) and "date" in value:
        day = date.fromisoformat(value["date"])
        cell.setValue(float((day - date(1899, 12, 30)).days))
        formats = doc.getNumberFormats()
        locale = uno.createUnoStruct("com.sun.star.lang.Locale")
        cell.NumberFormat = formats.getStandardFormat(2, locale)  # NumberFormat.DATE
    elif isinstance(value, bool):
        raise ValueError("a clerk types text or numbers, not %r" % value)
    elif isinstance(value, (int, float)):
        cell.setValue(float(value))
    else:
        cell.setString(str(value))


def fill(desktop, job):
    url = uno.systemPathToFileUrl(os.path.abspath(job["source"]))
    doc = desktop.loadComponentFromURL(url, "_blank", 0, _props(Hidden=True, ReadOnly=False))
    if doc is None:
        raise ValueError("LibreOffice could not open %s" % job["source"])
    try:
        sheet = _sheet(doc, job.get("sheet"))
        protected = sheet.isProtected()
        for address, value in job["values"].items():
            cell = sheet.getCellRangeByName(address)
            if protected and cell.CellProtection.IsLocked:
                raise PermissionError("cell %s of sheet %s is locked: a clerk cannot type there" % (address, sheet.Name))
            _type(doc, cell, value)
        doc.calculateAll()
        for target in job["save_as"]:
            suffix = os.path.splitext(target)[1].lower()
            if suffix not in FILTERS:
                raise ValueError("cannot save as %s (use .xlsx, .xls or .ods)" % suffix)
            doc.storeToURL(uno.systemPathToFileUrl(os.path.abspath(target)), _props(FilterName=FILTERS[suffix], Overwrite=True))
    finally:
        doc.close(True)


def main(jobs_path, results_path, timeout):
    deadline = time.monotonic() + timeout
    with open(jobs_path, encoding="utf-8") as handle:
        jobs = json.load(handle)
    office = Office(deadline)

    def give_up():  # the watchdog: never hang a test run
        if office.process is not None:
            office.process.kill()
        shutil.rmtree(office.profile, ignore_errors=True)
        os._exit(3)

    watchdog = threading.Timer(timeout, give_up)
    watchdog.daemon = True
    watchdog.start()
    results = []
    try:
        office.start()
        for job in jobs:
            try:
                fill(office.desktop, job)
                results.append({"ok": True, "error": ""})
            except (PermissionError, ValueError) as error:
                results.append({"ok": False, "error": str(error)})
            except Exception as error:  # soffice died under us: restart it once for the next job
                results.append({"ok": False, "error": "%s: %s" % (type(error).__name__, error)})
                office.stop()
                office = Office(deadline)
                office.start()
    finally:
        office.stop()
        watchdog.cancel()
    with open(results_path, "w", encoding="utf-8") as handle:
        json.dump(results, handle, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
