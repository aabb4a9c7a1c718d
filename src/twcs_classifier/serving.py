"""Labelling a user's table with a model, and scoring a label column: the prediction columns
added after the table's own (never overwriting one), the counts of the labels, a labelled CSV
written from a CSV file, and how right the predictions are against a column of truth. The CLI
and the Streamlit app both label through here; reading the CSV and guessing its columns is
:mod:`twcs_classifier.user_csv`'s, predicting raw texts :mod:`twcs_classifier.inference`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import LABELS
from .csv_output import to_csv_bytes
from .errors import PipelineError, os_error
from .files import check_output_path, same_file, write_with
from .inference import SHOWN_DECIMALS, blank_mask, predict_proba
from .models import TextClassifier
from .user_csv import DEFAULT_ENCODING, default_label_column, read_csv_upload, read_labels

OUTPUT_COLUMNS = ("predicted_label", "p_inbound", "p_outbound", "confidence")
"""The columns a labelled CSV gets (with a suffix where the input already has the name)."""

__all__ = [
    "GUESS",
    "OUTPUT_COLUMNS",
    "LabelledTable",
    "label_metrics",
    "output_names",
    "predict_csv",
    "predict_dataframe",
    "predict_frame",
    "score_summary",
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
    spreadsheet instead, see :func:`~twcs_classifier.csv_output.to_csv_bytes`). Returns the counts
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
