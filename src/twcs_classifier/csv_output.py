"""The one CSV format the project writes: UTF-8, every field quoted, CRLF line ends; exact for
programs by default, or with formulas escaped for a spreadsheet (OWASP's CSV-injection advice).
Writing it to a file atomically is :func:`twcs_classifier.files.write_csv`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMULA_STARTS", "escape_formula", "spreadsheet_safe", "to_csv_bytes"]


FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
"""First characters that make a spreadsheet read a cell as a formula (OWASP's list: ``=``,
``+``, ``-``, ``@``, tab, carriage return; and their full-width forms, which some
spreadsheets read the same way)."""

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def escape_formula(value: Any) -> Any:
    """A cell as a spreadsheet should show it: text starting with a formula character gets a
    leading ``'`` (OWASP's CSV-injection advice), so it is shown, never run. Plain numbers
    such as ``-1.5`` and anything that is not text are left as they are."""
    if isinstance(value, str) and value and value[0] in FORMULA_STARTS and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with :func:`escape_formula` applied to every text cell and column name."""
    from pandas.api.types import is_string_dtype

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or is_string_dtype(out[column]):
            out[column] = out[column].map(escape_formula)
    out.columns = [escape_formula(c) for c in out.columns]
    return out


def to_csv_bytes(frame: pd.DataFrame, spreadsheet: bool = False) -> bytes:
    """A frame as UTF-8 CSV: every field quoted and lines ending in CRLF, so a text holding a
    line break or a bare carriage return reads back as one row. The one way the project
    writes CSV.

    By default **exact**: every cell and column name as it is, so a program (pandas, the
    ``csv`` module, this project) reads back the very strings it was given. With
    ``spreadsheet``, **for opening in a spreadsheet**: cells a spreadsheet would run as
    formulas get a leading ``'`` (:func:`spreadsheet_safe`) and the file starts with a UTF-8
    byte-order mark (so Excel reads it as UTF-8); the ``'`` is then part of such a cell for
    any program that reads the file."""
    table = spreadsheet_safe(frame) if spreadsheet else frame
    text = table.to_csv(index=False, lineterminator="\r\n", quoting=1)
    return text.encode("utf-8-sig" if spreadsheet else "utf-8")
