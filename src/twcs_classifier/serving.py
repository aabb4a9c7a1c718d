"""The one serving path for the CLI and the Streamlit app: a user's CSV (read it strictly,
guess which column holds the tweets and which the labels, add the predictions without
touching the input columns, score a label column), on top of :mod:`twcs_classifier.inference`
(load a model, predict and explain raw texts), whose names it re-exports.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import LABELS
from .errors import PipelineError, os_error
from .files import check_output_path, file_kind, same_file, to_csv_bytes, write_with
from .inference import (
    MAX_TEXT_CHARS,
    SHOWN_DECIMALS,
    Prediction,
    blank_mask,
    explain,
    explain_words,
    load_named,
    load_selected,
    predict,
    predict_proba,
    shown_probability,
)
from .models import TextClassifier

OUTPUT_COLUMNS = ("predicted_label", "p_inbound", "p_outbound", "confidence")
"""The columns a labelled CSV gets (with a suffix where the input already has the name)."""
DEFAULT_ENCODING = "utf-8"
"""A user's CSV is read as strict UTF-8 (a byte-order mark is allowed) unless told otherwise."""
CLI_ENCODING_FIX = "give its encoding (--encoding latin-1 or cp1252 for files from older spreadsheets)"
"""How a user of the command line says which encoding a CSV is in: the fix of a decoding error."""

__all__ = [
    "CLI_ENCODING_FIX",
    "DEFAULT_ENCODING",
    "MAX_TEXT_CHARS",
    "OUTPUT_COLUMNS",
    "SHOWN_DECIMALS",
    "LabelledTable",
    "Prediction",
    "blank_mask",
    "default_label_column",
    "explain",
    "explain_words",
    "guess_label_column",
    "label_like_columns",
    "label_metrics",
    "load_named",
    "load_selected",
    "predict",
    "predict_csv",
    "predict_dataframe",
    "predict_proba",
    "read_csv_upload",
    "read_labels",
    "score_summary",
    "shown_probability",
    "to_csv_bytes",
]


def predict_frame(model: TextClassifier, texts: pd.Series) -> pd.DataFrame:
    """Prediction columns (:data:`OUTPUT_COLUMNS`) for a column of texts; missing and blank
    texts get empty predictions."""
    values = texts.where(texts.notna(), "").astype(str)
    present = ~blank_mask(model, values.tolist())
    p = np.full(len(texts), np.nan)
    if present.any():
        p[present] = predict_proba(model, values[present].tolist())
    label = np.where(np.isnan(p), None, np.where(p >= 0.5, LABELS[1], LABELS[0]))
    return pd.DataFrame(
        {
            "predicted_label": label,
            "p_inbound": p,
            "p_outbound": 1.0 - p,
            "confidence": np.maximum(p, 1.0 - p),
        },
        index=texts.index,
    )


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


@dataclass(frozen=True)
class LabelledTable:
    """A user's table with the prediction columns added, and the counts of the labels."""

    frame: pd.DataFrame
    columns: dict[str, str]
    """The name each of :data:`OUTPUT_COLUMNS` got in ``frame`` (with a suffix if the input had it)."""
    counts: dict[str, int]
    """Rows in all, labelled (inbound plus outbound), predicted inbound, predicted outbound, and
    without text (missing or blank: no label)."""

    @property
    def label_column(self) -> str:
        """The name the ``predicted_label`` column got."""
        return self.columns["predicted_label"]

    def output(self, name: str) -> pd.Series:
        """Prediction column ``name`` (one of :data:`OUTPUT_COLUMNS`), whatever it is called in ``frame``."""
        return self.frame[self.columns[name]]


def output_names(columns: Sequence[Any]) -> dict[str, str]:
    """The name of each of :data:`OUTPUT_COLUMNS` in a table that already has ``columns``:
    the plain name, or ``<name>_1``, ``<name>_2``, … where that is taken, so no input
    column is ever overwritten."""
    taken = {str(c) for c in columns}
    out = {}
    for name in OUTPUT_COLUMNS:
        candidate, k = name, 0
        while candidate in taken:
            k += 1
            candidate = f"{name}_{k}"
        taken.add(candidate)
        out[name] = candidate
    return out


def predict_dataframe(
    model: TextClassifier,
    frame: pd.DataFrame,
    text_column: str,
    chunk_size: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> LabelledTable:
    """``frame`` with the prediction columns added after its own (computed in chunks), and
    the counts of the labels."""
    if text_column not in frame.columns:
        raise PipelineError(
            f"the CSV has no column {text_column!r} (columns: {', '.join(map(str, frame.columns))})",
            "name the column that holds the tweet texts (--text-column)",
        )
    parts = []
    for start in range(0, len(frame), chunk_size):
        parts.append(predict_frame(model, frame[text_column].iloc[start : start + chunk_size]))
        if progress:
            progress(min(start + chunk_size, len(frame)), len(frame))
    preds = pd.concat(parts) if parts else pd.DataFrame(columns=list(OUTPUT_COLUMNS), index=frame.index)
    names = output_names(frame.columns)
    labels = preds["predicted_label"]
    counts = {
        "rows": int(len(frame)),
        "labelled": int(labels.notna().sum()),
        "inbound": int((labels == LABELS[1]).sum()),
        "outbound": int((labels == LABELS[0]).sum()),
        "missing_text": int(labels.isna().sum()),
    }
    out = pd.concat([frame, preds.rename(columns=names)], axis=1)
    return LabelledTable(out, names, counts)


GUESS: Any = object()
"""``label_column`` not given: :func:`default_label_column` picks it."""


def predict_csv(
    model: TextClassifier,
    in_path: str | Path,
    text_column: str,
    out_path: str | Path,
    encoding: str = DEFAULT_ENCODING,
    chunk_size: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
    spreadsheet: bool = False,
    label_column: str | None = GUESS,
) -> dict[str, Any]:
    """Label the texts of a CSV file and write the result to ``out_path``, which may not be the
    input: UTF-8, every input cell exactly as read (``spreadsheet``: formulas escaped for a
    spreadsheet instead, see :func:`~twcs_classifier.files.to_csv_bytes`). Returns the counts
    of the labels and, when the file has a label column (``label_column``, by default the one
    :func:`default_label_column` finds), how right they are (:func:`score_summary`)."""
    in_path, out_path = Path(in_path), Path(out_path)
    if same_file(in_path, out_path):
        raise PipelineError(
            f"--out {out_path} is the input file", "write the labelled CSV to another file; the input is kept as it is"
        )
    if out_path.is_dir():
        raise PipelineError(f"--out {out_path} is a directory", "give the path of the CSV file to write")
    check_output_path(out_path)  # up front: a device, FIFO, socket, link or directory is refused before any work
    frame = read_csv_upload(in_path, encoding)
    if label_column is GUESS:
        label_column = default_label_column(frame, text_column)
    elif label_column is not None and label_column not in frame.columns:
        raise PipelineError(
            f"the CSV has no column {label_column!r} (columns: {', '.join(map(str, frame.columns))})",
            "name the column that says which tweets are customer queries (--label-column), or leave it out",
        )
    table = predict_dataframe(model, frame, text_column, chunk_size, progress)
    try:
        write_with(out_path, lambda tmp: tmp.write_bytes(to_csv_bytes(table.frame, spreadsheet)))
    except OSError as err:
        raise os_error(err, "write") from None
    if label_column is None:
        return dict(table.counts)
    return {**table.counts, "label_column": label_column, **score_summary(label_metrics(table, label_column))}


# -- a label column in a user's CSV: how right the model is on it ---------------------------------
LABEL_COLUMN_HINTS: tuple[str, ...] = ("inbound", "label", "is_inbound", "truth", "class")
"""Names of a column that says which tweets are customer queries, most likely first."""


def read_labels(values: pd.Series) -> pd.Series:
    """A label column as ``inbound`` / ``outbound`` (missing where a value reads as neither):
    ``True``/``1``/``inbound`` is a customer query, ``False``/``0``/``outbound`` a company
    reply, in any case, spaces ignored (the ``inbound`` column of twcs.csv reads as it should)."""
    from .extract import FALSE_VALUES, TRUE_VALUES

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


def label_metrics(table: LabelledTable, truth_column: str) -> dict[str, Any] | None:
    """How right the predictions of :func:`predict_dataframe` are against the labels in
    ``truth_column``: :func:`~twcs_classifier.metrics.classification_metrics` on the rows
    that have both a prediction and a readable label, with ``rows_scored`` and
    ``rows_not_scored``, which are ``rows_without_text`` (missing or blank: no prediction,
    whatever their label) and ``rows_without_label`` (a prediction, but a label that reads
    as neither class); ``None`` when no row has both."""
    from .metrics import classification_metrics

    truth = read_labels(table.frame[truth_column])
    p_inbound = table.output("p_inbound")
    predicted = p_inbound.notna()
    scored = truth.notna() & predicted
    if not scored.any():
        return None
    y = (truth[scored] == LABELS[1]).astype(int).to_numpy()
    metrics = classification_metrics(y, p_inbound[scored].to_numpy(dtype=float))
    return {
        **metrics,
        "rows_scored": int(scored.sum()),
        "rows_not_scored": int((~scored).sum()),
        "rows_without_text": int((~predicted).sum()),
        "rows_without_label": int((predicted & truth.isna()).sum()),
    }


def score_summary(scores: dict[str, Any] | None) -> dict[str, Any]:
    """The headline of :func:`label_metrics` for a line of output: rows scored and not, and
    accuracy and macro-F1 (rounded to :data:`SHOWN_DECIMALS`; absent when no row could be scored)."""
    if scores is None:
        return {"rows_scored": 0}
    return {
        "rows_scored": scores["rows_scored"],
        "rows_not_scored": scores["rows_not_scored"],
        "accuracy": round(scores["accuracy"], SHOWN_DECIMALS),
        "f1_macro": round(scores["f1_macro"], SHOWN_DECIMALS),
    }
