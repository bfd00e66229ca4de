"""Open a workbook in headless LibreOffice and print its sheets and VBA/Basic modules as JSON.

Run by Debian's /usr/bin/python3 (the only interpreter with `uno`):

    /usr/bin/python3 list_vba_modules.py WORKBOOK TIMEOUT_SECONDS

Prints {"sheets": [...], "libraries": {library: [module, ...]}}. The soffice
process (own profile, dies with us, restarted after the first-start exit 81)
comes from the test clerk in tests/clerk/uno_clerk.py.
"""

import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "clerk"))

import uno  # noqa: E402
from uno_clerk import Office, _props  # noqa: E402


def main(path, timeout):
    office = Office(time.monotonic() + timeout)
    watchdog = threading.Timer(timeout, lambda: (office.process and office.process.kill(), os._exit(3)))
    watchdog.daemon = True
    watchdog.start()
    try:
        office.start()
        url = uno.systemPathToFileUrl(os.path.abspath(path))
        doc = office.desktop.loadComponentFromURL(url, "_blank", 0, _props(Hidden=True, ReadOnly=True))
        if doc is None:
            raise SystemExit("LibreOffice could not open %s" % path)
        try:
            sheets = list(doc.getSheets().getElementNames())
            basic = doc.BasicLibraries
            libraries = {}
            for name in basic.getElementNames():
                basic.loadLibrary(name)
                libraries[name] = sorted(basic.getByName(name).getElementNames())
        finally:
            doc.close(True)
    finally:
        office.stop()
        watchdog.cancel()
    print(json.dumps({"sheets": sheets, "libraries": libraries}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
