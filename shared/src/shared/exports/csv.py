"""CSV as spreadsheets in Polish locales expect it: UTF-8 with a BOM, semicolons, CRLF."""

from __future__ import annotations

import csv as _csv
import io
from collections.abc import Iterable, Sequence


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """The rows (the header among them, if any) as a CSV file's bytes."""
    out = io.StringIO()
    writer = _csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
