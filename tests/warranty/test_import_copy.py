"""The file straight into COPY (``_copy_file``) and the row-by-row reader agree (issue 19).

Plain files skip Python's per-row work; a file with anything COPY reads differently from the
reader (quotes, blank lines between rows, short rows) goes to the reader. Either way the same
rows are imported and the same row-numbered errors are reported.
"""

import sys

import pytest

from tests.warranty.test_import_shipments import GOOD_ROWS, HEADER, catalogue, snapshot  # noqa: F401
from warranty import importing

pytestmark = pytest.mark.django_db

GOOD_LINES = [",".join(row) for row in GOOD_ROWS]
BAD = "PI-9,PO-9,acme,2025-06-02,,SN-9,NOPE-1,10,USD"

FILES = {
    "plain": "\n".join([",".join(HEADER), *GOOD_LINES]) + "\n",
    "CRLF, BOM, no final newline": "\ufeff" + "\r\n".join([",".join(HEADER), *GOOD_LINES]),
    "trailing blank lines": "\n".join([",".join(HEADER), *GOOD_LINES]) + "\n\n\r\n\n",
    "blank line between rows": "\n".join([",".join(HEADER), GOOD_LINES[0], "", *GOOD_LINES[1:]]),
    "rows of empty cells": "\n".join([",".join(HEADER), ",,,,,,,,", *GOOD_LINES, " , ,,,,,,,"]),
    "spaces at the edges": "\n".join(
        [",".join(HEADER), " " + GOOD_LINES[0].replace(",", " , "), *GOOD_LINES[1:]]
    ),
    "ideographic space and tab": "\n".join(
        [",".join(HEADER), GOOD_LINES[0].replace("acme", "\u3000acme\t"), *GOOD_LINES[1:]]
    ),
    "quoted values": "\n".join(
        [",".join(HEADER), '"' + GOOD_LINES[0].replace(",", '","') + '"', *GOOD_LINES[1:]]
    ),
    "columns reordered, an unnamed one": "\n".join(
        [",".join([*reversed(HEADER), ""])]
        + [",".join([*reversed(row), "ignored"]) for row in GOOD_ROWS]
    ),
    "a short row": "\n".join([",".join(HEADER), *GOOD_LINES, "PI-1,PO-1"]),
    "a bad row after a blank line": "\n".join([",".join(HEADER), *GOOD_LINES, "", BAD]),
    "not UTF-8": "\n".join([",".join(HEADER), *GOOD_LINES, BAD.replace("NOPE", "N\udcffOPE")]),
    "a backslash-dot line": "\n".join([",".join(HEADER), GOOD_LINES[0], "\\.", *GOOD_LINES[1:]]),
}


def outcome(path):
    try:
        result = importing.import_shipments(source=path)
    except importing.ImportRejected as rejected:
        return [(e.line, e.column, e.message) for e in rejected.errors]
    return result.counts(), snapshot()


@pytest.mark.parametrize("name", FILES)
def test_copy_and_the_row_reader_import_and_reject_alike(catalogue, tmp_path, monkeypatch, name):  # noqa: F811
    path = tmp_path / "shipments.csv"
    path.write_bytes(FILES[name].encode("utf-8", "surrogateescape"))
    copied = []
    copy_file = importing._copy_file
    monkeypatch.setattr(
        importing, "_copy_file", lambda *a: copied.append(copy_file(*a)) or copied[-1]
    )

    straight = outcome(path)
    importing.Unit.objects.all().delete()
    importing.Shipment.objects.all().delete()
    monkeypatch.setattr(importing, "_copy_file", lambda *a: None)
    row_by_row = outcome(path)

    assert straight == row_by_row
    plain = name in {"plain", "CRLF, BOM, no final newline", "trailing blank lines"}
    plain |= name in {"rows of empty cells", "spaces at the edges", "ideographic space and tab"}
    plain |= name == "columns reordered, an unnamed one"
    assert (copied[0] is not None) == plain


def test_the_whitespace_stripped_in_sql_is_what_str_strip_removes():
    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert sorted(importing._WHITESPACE) == sorted(every)
