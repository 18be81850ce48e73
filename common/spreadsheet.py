"""CSV for spreadsheets, written one way everywhere: text that a spreadsheet would run as a formula
(a cell starting with = + - @, a tab or a carriage return; OWASP's CSV injection list) is prefixed
with an apostrophe, so a name like `=HYPERLINK(...)` is shown, never evaluated. Numbers stay numbers."""

import csv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


class SafeWriter:
    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row):
        return self._writer.writerow([safe_cell(value) for value in row])


def writer(file) -> SafeWriter:
    return SafeWriter(file)
