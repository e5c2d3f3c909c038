"""Reporting: a report put the way a firm reads it. The answer first (what is certain, the
most it can reach and why it is open, what to fill in), then every support with its
amount, status, reasons, caveats and full citation, as data (``summary``), a printable
self-contained HTML page (``html``) and a workbook (``xlsx``).

Takes a ``Report`` (and the rules' stacking groups); hands on text, a page or a file.
Never evaluates a profile itself and never prints to a terminal.
"""
