"""A user's CSV, read strictly, and which of its columns hold what: the tweets (columns with
words in them) and the truth (columns whose values all read as labels). Shared by the CLI and
the Streamlit app; labelling the table and scoring the label column is :mod:`twcs_classifier.serving`'s.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import LABELS
from .errors import PipelineError, os_error
from .files import file_kind

DEFAULT_ENCODING = "utf-8"
"""A user's CSV is read as strict UTF-8 (a byte-order mark is allowed) unless told otherwise."""
CLI_ENCODING_FIX = "give its encoding (--encoding latin-1 or cp1252 for files from older spreadsheets)"
"""How a user of the command line says which encoding a CSV is in: the fix of a decoding error."""

__all__ = [
    "CLI_ENCODING_FIX",
    "DEFAULT_ENCODING",
    "LABEL_COLUMN_HINTS",
    "TEXT_COLUMN_HINTS",
    "check_encoding",
    "check_input_file",
    "decode_csv",
    "default_label_column",
    "guess_label_column",
    "guess_text_column",
    "has_word_characters",
    "label_like_columns",
    "parse_csv",
    "read_csv_upload",
    "read_labels",
    "text_like_columns",
]


# -- reading a user's CSV ------------------------------------------------------------------------------
def check_encoding(encoding: str) -> str:
    """The codec's name, or a :class:`PipelineError` for an unknown encoding."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise PipelineError(
            f"unknown encoding {encoding!r}", "name a Python codec, e.g. utf-8, latin-1, cp1252 or utf-16"
        ) from None


def decode_csv(
    raw: bytes, encoding: str = DEFAULT_ENCODING, name: str = "the CSV file", encoding_fix: str = CLI_ENCODING_FIX
) -> str:
    """``raw`` decoded strictly; a byte that does not fit is a :class:`PipelineError` naming
    its line and position (nothing is guessed, so no text is silently garbled), whose fix is
    ``encoding_fix``: how the user, where they are, says which encoding the file is in."""
    codec = check_encoding(encoding)
    try:
        text = raw.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        bad = raw[err.start : max(err.end, err.start + 1)][:4].hex(" ")
        raise PipelineError(
            f"{name} is not valid {codec}: byte 0x{bad} at line {line}, byte {column} of that line ({err.reason})",
            f"save the file as UTF-8, or {encoding_fix}",
        ) from None
    if codec != "utf-8":
        _check_not_utf8(raw, text, encoding, codec, name)
    return text


def _check_not_utf8(raw: bytes, text: str, encoding: str, codec: str, name: str) -> None:
    """Refuse to read as ``codec`` a file that is valid UTF-8 and reads differently so (UTF-8
    with accents read as latin-1 gives ``TrÃ¨s`` for ``Très``): labelling that garbled text
    would pass silently. A file of plain ASCII reads the same in both and passes."""
    try:
        utf8 = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return
    if utf8 == text:
        return
    wrong = next(
        ((i, a, b) for i, (a, b) in enumerate(zip(text.splitlines(), utf8.splitlines()), start=1) if a != b),
        (1, text[:60], utf8[:60]),
    )
    line, garbled, right = wrong
    start = next((k for k, (x, y) in enumerate(zip(garbled, right)) if x != y), 0)
    window = slice(max(0, start - 20), start + 40)
    raise PipelineError(
        f"{name} is UTF-8 text, but it was to be read as {encoding}: line {line} would read "
        f"{garbled[window]!r} instead of {right[window]!r}, and garbled text would be labelled",
        "read it as UTF-8 (the default: leave out --encoding, or pick utf-8 in the app); if it really is "
        f"{encoding}, convert it to UTF-8 first (iconv -f {codec} -t utf-8 in.csv > out.csv) and read that",
    )


def parse_csv(text: str, name: str = "the CSV file") -> pd.DataFrame:
    """A CSV with a header row as text columns, strictly: a repeated column name, a row with
    more or fewer fields than the header and a broken quote are each a
    :class:`PipelineError` naming the line. Blank lines are skipped."""
    # A field can be as long as the whole text, never longer (csv's default limit, 131,072
    # characters, stopped a CSV holding one long text); the limit is process-wide and only raised.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next((row for row in reader if row), None)
        if header is None:
            raise PipelineError(f"{name} has no header row", "give a CSV with a header row and one text per row")
        repeated = sorted({c for c in header if header.count(c) > 1})
        if repeated:
            raise PipelineError(
                f"{name} names the column(s) {', '.join(map(repr, repeated))} more than once in its header",
                "give every column its own name",
            )
        rows = []
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise PipelineError(
                    f"line {reader.line_num} of {name} has {len(row)} fields, but the header has {len(header)}",
                    "give every row as many fields as the header; put texts holding commas in double quotes",
                )
            rows.append(row)
    except csv.Error as err:
        raise PipelineError(
            f"{name} could not be read as CSV at line {reader.line_num} ({err})",
            "check its quoting: a field with commas, quotes or line breaks must be in double quotes, "
            'and a quote inside it doubled ("")',
        ) from None
    return pd.DataFrame(rows, columns=header, dtype=object)


def check_input_file(path: Path) -> None:
    """Refuse, before reading a byte, an input path that is not a regular file (a link to one
    is fine): a directory, a device such as ``/dev/zero`` (endless), a FIFO or a socket."""
    try:
        mode = path.stat().st_mode
    except OSError as err:
        raise os_error(err, "read") from None
    if not stat.S_ISREG(mode):
        raise PipelineError(
            f"{path} is {file_kind(mode)}, not a regular file",
            "give the path of a CSV file"
            + ("" if stat.S_ISDIR(mode) else "; save piped or streamed data to a file first and give that file"),
        )


def read_csv_upload(
    source: Any, encoding: str = DEFAULT_ENCODING, name: str | None = None, encoding_fix: str = CLI_ENCODING_FIX
) -> pd.DataFrame:
    """Read a user's CSV (a path, or a file-like object such as an upload) as text columns,
    every cell exactly as the file has it.

    Strict: see :func:`decode_csv` (``encoding_fix`` is how the user, where they are, gives the
    encoding) and :func:`parse_csv`. An empty, binary or unreadable file is a
    :class:`PipelineError` too.
    """
    if hasattr(source, "read"):
        if hasattr(source, "seek"):
            source.seek(0)
        raw = source.read()
        name = name or getattr(source, "name", None) or "the CSV file"
    else:
        path = Path(source)
        name = name or str(path)
        check_input_file(path)
        try:
            raw = path.read_bytes()
        except OSError as err:
            raise os_error(err, "read") from None
    if not raw.strip():
        raise PipelineError(f"{name} is empty", "give a CSV with a header row and one text per row")
    if b"\x00" in raw[:4096] and check_encoding(encoding) not in ("utf-16", "utf-32"):
        raise PipelineError(f"{name} is not a text CSV (it holds binary data)", "export the data as CSV text")
    frame = parse_csv(decode_csv(raw, encoding, name, encoding_fix), name)
    if frame.shape[1] == 0:
        raise PipelineError(f"{name} has no columns", "give a CSV with a header row")
    return frame


# -- guessing which column of a user's CSV holds the tweets --------------------------------------
_WORD_CHAR = re.compile(r"[^\W_]")


def has_word_characters(text: str) -> bool:
    """Whether ``text`` holds any letter or digit, in any script (emoji do not count)."""
    return bool(_WORD_CHAR.search(text))


def text_like_columns(frame: pd.DataFrame, sample_rows: int = 1000) -> list[str]:
    """Columns whose first ``sample_rows`` values hold at least one letter (any script):
    the ones that can be tweet texts. Ids, counts and booleans are not."""
    head = frame.head(sample_rows)
    out = []
    for column in frame.columns:
        values = _filled(head[column])
        if values.map(has_word_characters).any() and not _all_numeric_or_bool(values):
            out.append(str(column))
    return out


def _filled(values: pd.Series) -> pd.Series:
    """The cells of a column that hold something (a strict CSV reads an empty cell as ``""``)."""
    values = values.dropna().astype(str)
    return values[values.str.strip() != ""]


def _all_numeric_or_bool(values: pd.Series) -> bool:
    """True when every value reads as a number or a boolean (``True``/``False``, ``1e5``)."""
    lowered = values.str.strip().str.lower()
    boolean = lowered.isin(["true", "false"])
    numeric = pd.to_numeric(lowered.where(~boolean), errors="coerce").notna()
    return bool((boolean | numeric).all())


TEXT_COLUMN_HINTS: tuple[str, ...] = ("text", "tweet", "message", "body", "content")


def guess_text_column(frame: pd.DataFrame, candidates: Sequence[str]) -> str | None:
    """The candidate most likely to hold the tweets: one named ``text``, else one whose name
    mentions text/tweet/message/body/content, else the one with the longest values."""
    if not candidates:
        return None
    by_name = {c.strip().lower(): c for c in candidates}
    for hint in TEXT_COLUMN_HINTS:
        if hint in by_name:
            return by_name[hint]
    for hint in TEXT_COLUMN_HINTS:
        for c in candidates:
            if hint in c.lower():
                return c
    head = frame.head(1000)
    return max(candidates, key=lambda c: head[c].dropna().astype(str).str.len().mean() or 0.0)


# -- guessing which column of a user's CSV holds the truth (the labels) ----------------------------
LABEL_COLUMN_HINTS: tuple[str, ...] = ("inbound", "label", "is_inbound", "truth", "class")
"""Names of a column that says which tweets are customer queries, most likely first."""


def read_labels(values: pd.Series) -> pd.Series:
    """A label column as ``inbound`` / ``outbound`` (missing where a value reads as neither):
    ``True``/``1``/``inbound`` is a customer query, ``False``/``0``/``outbound`` a company
    reply, in any case, spaces ignored (the ``inbound`` column of twcs.csv reads as it should)."""
    from .twcs_rows import FALSE_VALUES, TRUE_VALUES

    norm = values.astype("string").str.strip().str.lower()
    inbound = norm.isin([*TRUE_VALUES, LABELS[1]])
    outbound = norm.isin([*FALSE_VALUES, LABELS[0]])
    return pd.Series(np.where(inbound, LABELS[1], np.where(outbound, LABELS[0], None)), index=values.index)


def label_like_columns(frame: pd.DataFrame, sample_rows: int = 1000) -> list[str]:
    """Columns whose first ``sample_rows`` non-empty values all read as labels (:func:`read_labels`)."""
    head = frame.head(sample_rows)
    out = []
    for column in frame.columns:
        values = _filled(head[column])
        if len(values) and read_labels(values).notna().all():
            out.append(str(column))
    return out


def default_label_column(frame: pd.DataFrame, text_column: str) -> str | None:
    """The column a CSV's truth is read from unless the user picks another (in the app and the
    CLI alike): a label-like column (:func:`label_like_columns`) other than the text column,
    named like a label column (:func:`guess_label_column`); ``None`` when there is none."""
    return guess_label_column([c for c in label_like_columns(frame) if c != text_column])


def guess_label_column(candidates: Sequence[str]) -> str | None:
    """The candidate named like a label column (``inbound``, ``label``, ...), else ``None``:
    a column is only scored against when its name says it holds the truth, or a user picks it."""
    by_name = {c.strip().lower(): c for c in candidates}
    return next((by_name[h] for h in LABEL_COLUMN_HINTS if h in by_name), None)
