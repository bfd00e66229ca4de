"""`pyxl demo`: a shell that plays every person of the monthly loop.

Owns: the demo run (run), a simulated unit clerk that fills sheets (clerk)
and a real SMTP server on loopback (mailserver, also used by the tests).

May import: anything below the shells.
Must not be imported by the package (only the CLI starts it).
"""
