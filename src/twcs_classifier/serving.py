"""The one serving path: load a saved model, give labels and probabilities for raw texts,
and label a user's CSV (read it, guess which column holds the tweets, add the predictions).

The CLI and the Streamlit app both call these functions.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import LABEL_TEXT, LABELS
from .errors import PipelineError
from .files import write_with
from .layout import SELECTED, Layout
from .models import TextClassifier, load_model
from .models.base import META_FILE

MAX_TEXT_CHARS = 5000
"""Texts are cut to this many characters before prediction (a tweet has at most 280)."""
OUTPUT_COLUMNS = ("predicted_label", "p_inbound", "p_outbound", "confidence")


@dataclass(frozen=True)
class Prediction:
    """One text's prediction; ``confidence`` is the probability of the predicted class."""

    label: str
    p_inbound: float
    p_outbound: float

    @property
    def confidence(self) -> float:
        """Probability of the predicted class."""
        return max(self.p_inbound, self.p_outbound)

    @property
    def label_text(self) -> str:
        """The label in words, for people."""
        return LABEL_TEXT[self.label]


def load_selected(directory: str | Path | None = None) -> TextClassifier:
    """Load ``models/selected`` (or ``directory``); explain how to build it if absent."""
    directory = Path(directory or os.environ.get("TWCS_MODEL_DIR", Layout().selected))
    return load_model(directory)


def load_named(name: str, layout: Layout | None = None) -> TextClassifier:
    """Model ``name`` of the project: ``selected`` (what the select stage installed) or any
    model the pipeline trained (``models/<name>``); an unknown name is told the ones there are."""
    layout = layout or Layout()
    directory = layout.model_dir(name)
    if not (directory / META_FILE).is_file():
        from .artifacts import trained_models

        there = trained_models(layout)
        if (layout.selected / META_FILE).is_file():
            there.insert(0, SELECTED)
        raise PipelineError(
            f"there is no trained model {name!r} in {layout.models}",
            f"pick one of: {', '.join(there)}" if there else "build the models first: `make run` (or `dvc repro`)",
        )
    return load_model(directory)


def predict_proba(model: TextClassifier, texts: Sequence[str]) -> np.ndarray:
    """Inbound probability of each raw text (texts longer than :data:`MAX_TEXT_CHARS` are cut)."""
    items = [t[:MAX_TEXT_CHARS] for t in texts]
    return model.predict_proba(items)[:, 1]


def predict(model: TextClassifier, texts: Sequence[str]) -> list[Prediction]:
    """A :class:`Prediction` for each raw text."""
    p = predict_proba(model, texts)
    return [Prediction(LABELS[int(x >= 0.5)], float(x), float(1.0 - x)) for x in p]


def explain(model: TextClassifier, text: str) -> list[tuple[str, float]]:
    """Which tokens of ``text`` push towards inbound (positive) or outbound (negative),
    for the same cut text that :func:`predict` labels."""
    return model.token_importance(text[:MAX_TEXT_CHARS])


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """A frame as UTF-8 CSV. Lines end in CRLF, so a text holding a bare carriage
    return is quoted and reads back as one row."""
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def predict_frame(model: TextClassifier, texts: pd.Series) -> pd.DataFrame:
    """Prediction columns for a column of texts; missing texts get empty predictions."""
    present = texts.notna().to_numpy()
    values = texts[present].astype(str).tolist()
    p = np.full(len(texts), np.nan)
    if values:
        p[present] = predict_proba(model, values)
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


def read_csv_upload(source: Any) -> pd.DataFrame:
    """Read a user's CSV as text columns: UTF-8 first, then Latin-1.

    Raises :class:`PipelineError` for an empty or binary file.
    """
    if hasattr(source, "seek"):
        source.seek(0)
    raw = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    if not raw.strip():
        raise PipelineError("the CSV file is empty", "give a CSV with a header row and one text per row")
    if b"\x00" in raw[:4096]:
        raise PipelineError("the file is not a text CSV (it holds binary data)", "export the data as CSV text")
    for encoding in ("utf-8-sig", "latin-1"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise PipelineError(
            f"the file could not be read as CSV ({err})", "check it is comma-separated with a header row"
        ) from None
    if frame.shape[1] == 0:
        raise PipelineError("the CSV has no columns", "give a CSV with a header row")
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
        values = head[column].dropna().astype(str)
        if values.map(has_word_characters).any() and not _all_numeric_or_bool(values):
            out.append(str(column))
    return out


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


def predict_csv(
    model: TextClassifier,
    in_path: str | Path,
    text_column: str,
    out_path: str | Path,
    chunk_size: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Add prediction columns to a CSV; returns counts of inbound, outbound and missing texts."""
    frame = read_csv_upload(in_path)
    result = predict_dataframe(model, frame, text_column, chunk_size, progress)
    write_with(out_path, lambda tmp: tmp.write_bytes(to_csv_bytes(result)))
    return prediction_counts(result)


def predict_dataframe(
    model: TextClassifier,
    frame: pd.DataFrame,
    text_column: str,
    chunk_size: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """``frame`` with the prediction columns added, computed in chunks."""
    if text_column not in frame.columns:
        raise PipelineError(
            f"the CSV has no column {text_column!r} (columns: {', '.join(map(str, frame.columns))})",
            "name the column that holds the tweet texts",
        )
    parts = []
    for start in range(0, len(frame), chunk_size):
        parts.append(predict_frame(model, frame[text_column].iloc[start : start + chunk_size]))
        if progress:
            progress(min(start + chunk_size, len(frame)), len(frame))
    preds = pd.concat(parts) if parts else pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    clash = [c for c in OUTPUT_COLUMNS if c in frame.columns]
    out = frame.drop(columns=clash)
    return pd.concat([out, preds], axis=1)


def prediction_counts(result: pd.DataFrame) -> dict[str, int]:
    """How many rows were predicted inbound, outbound, or had no text."""
    labels = result["predicted_label"]
    return {
        "rows": int(len(result)),
        "inbound": int((labels == LABELS[1]).sum()),
        "outbound": int((labels == LABELS[0]).sum()),
        "missing_text": int(labels.isna().sum()),
    }


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
        values = head[column].dropna()
        if len(values) and read_labels(values).notna().all():
            out.append(str(column))
    return out


def guess_label_column(candidates: Sequence[str]) -> str | None:
    """The candidate named like a label column (``inbound``, ``label``, ...), else ``None``:
    a column is only scored against when its name says it holds the truth, or a user picks it."""
    by_name = {c.strip().lower(): c for c in candidates}
    return next((by_name[h] for h in LABEL_COLUMN_HINTS if h in by_name), None)


def label_metrics(result: pd.DataFrame, label_column: str) -> dict[str, Any] | None:
    """How right the predictions of :func:`predict_dataframe` are against ``label_column``:
    :func:`~twcs_classifier.metrics.classification_metrics` on the rows that have both a
    prediction and a readable label, with ``rows_scored`` and ``rows_not_scored``; ``None``
    when no row has both."""
    from .metrics import classification_metrics

    truth = read_labels(result[label_column])
    scored = truth.notna() & result["p_inbound"].notna()
    if not scored.any():
        return None
    y = (truth[scored] == LABELS[1]).astype(int).to_numpy()
    metrics = classification_metrics(y, result.loc[scored, "p_inbound"].to_numpy(dtype=float))
    return {**metrics, "rows_scored": int(scored.sum()), "rows_not_scored": int((~scored).sum())}
