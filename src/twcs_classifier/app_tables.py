"""The app's tables, as plain functions (no Streamlit): the metrics of every model, the compare
stage's ranking (the served model marked), a confusion matrix and the per-class figures, the
model card's headline facts, the mistakes a user filters, and the rows of a labelled CSV a user
views (with the download's file name); every figure with the same decimals. Computed from the
arguments alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from . import LABEL_TEXT
from .app_tweet import INBOUND_RGB, rgba
from .evaluation import CONDITIONS

CONFUSION_ORDER: tuple[str, str] = ("inbound", "outbound")
"""Row and column order of a confusion matrix: the positive class (inbound) first."""


SPLIT_ORDER: tuple[str, ...] = (*CONDITIONS, "validation", "calibration", "training", "timing")


def flatten_metrics(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a metrics dict under dotted keys (``test.confusion.tn``), as
    ``dvc metrics show`` names them; ``params`` (not metrics) and booleans are left out."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if not prefix and key == "params":
            continue
        if isinstance(value, Mapping):
            out.update(flatten_metrics(value, f"{name}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def metrics_table(metrics: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per metric, one column per model (in the given order): test metrics first,
    then validation, then timing, then the rest."""
    flat = {name: flatten_metrics(m) for name, m in metrics.items()}
    keys: list[str] = []
    for values in flat.values():
        keys.extend(k for k in values if k not in keys)

    def rank(key: str) -> int:
        head = key.split(".", 1)[0]
        return SPLIT_ORDER.index(head) if head in SPLIT_ORDER else len(SPLIT_ORDER)

    keys.sort(key=rank)  # stable: keeps each group's order from the files
    table = pd.DataFrame({name: [values.get(k, math.nan) for k in keys] for name, values in flat.items()}, index=keys)
    table.index.name = "metric"
    return table


FIGURE_DECIMALS = 4
"""Every figure the app shows in a table has this many decimals (compare.md's too), so
figures side by side line up: ``0.9350`` beside ``0.9350``, never ``0.935`` beside ``0.93499``."""


def format_metric(value: float | None, whole: bool = False) -> str:
    """A figure as the app's tables show it: with :data:`FIGURE_DECIMALS` decimals, or with
    none when ``whole`` (a count); a missing value as a dash."""
    if value is None or math.isnan(float(value)):
        return "–"
    return f"{float(value):.0f}" if whole else f"{float(value):.{FIGURE_DECIMALS}f}"


def _all_whole(values: Iterable[Any]) -> bool:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return bool(finite) and all(v.is_integer() for v in finite)


def style_figures(table: pd.DataFrame, by: str = "column") -> Any:
    """``table`` styled for the page with one format per column (``by="column"``) or per row
    (``"row"``): whole numbers when every figure of it is one (counts, ranks), else
    :data:`FIGURE_DECIMALS` decimals for all of it (:func:`format_metric`)."""
    styler = table.style
    for label in table.columns if by == "column" else table.index:
        values = table[label] if by == "column" else table.loc[label]
        subset = pd.IndexSlice[:, [label]] if by == "column" else pd.IndexSlice[[label], :]
        whole = _all_whole(values)
        styler = styler.format(lambda v, whole=whole: format_metric(v, whole), subset=subset)
    return styler


SERVED_MARK = " (served)"
"""Follows the served model's name in the compare table."""


def compare_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The compare stage's table (``metrics/compare.json``): one row per model in rank order,
    the served model marked, accuracy and macro-F1 under each test condition, then the
    calibration error of the served probabilities on the random split."""
    rows = sorted(summary.get("models", {}).items(), key=lambda kv: kv[1].get("rank", math.inf))
    table = {}
    for name, row in rows:
        shown = f"{name}{SERVED_MARK}" if row.get("selected") else name
        values: dict[str, Any] = {"rank": row.get("rank")}
        for condition, title in CONDITIONS.items():
            figures = row.get(condition) or {}
            values[f"{title}: accuracy"] = figures.get("accuracy")
            values[f"{title}: F1"] = figures.get("f1_macro")
        values["ECE random"] = (row.get("test") or {}).get("ece")
        table[shown] = values
    frame = pd.DataFrame.from_dict(table, orient="index")
    frame.index.name = "model"
    return frame


def compare_style(table: pd.DataFrame) -> Any:
    """:func:`compare_table` for the page: figures with four decimals (ranks whole), the served
    model's row tinted."""
    tint = f"background-color: {rgba(INBOUND_RGB, 0.15)}"
    return style_figures(table).apply(
        lambda row: [tint if str(row.name).endswith(SERVED_MARK) else "" for _ in row], axis=1
    )


def confusion_display(counts: Mapping[str, int]) -> pd.DataFrame:
    """A confusion matrix from its counts (``tn``, ``fp``, ``fn``, ``tp``, inbound positive)
    as text cells ``count (rate)``: actual classes down, predicted across; a rate is the share
    of the actual class, so the diagonal holds each class's recall."""
    cells = {
        ("inbound", "inbound"): counts["tp"],
        ("inbound", "outbound"): counts["fn"],
        ("outbound", "inbound"): counts["fp"],
        ("outbound", "outbound"): counts["tn"],
    }
    table = {}
    for actual in CONFUSION_ORDER:
        total = sum(cells[(actual, p)] for p in CONFUSION_ORDER)
        table[f"actual {actual}"] = {
            f"predicted {p}": f"{cells[(actual, p)]:,} ({format_rate(cells[(actual, p)], total)})"
            for p in CONFUSION_ORDER
        }
    return pd.DataFrame.from_dict(table, orient="index")


def format_rate(part: int, total: int) -> str:
    """``part`` as a percentage of ``total`` with one decimal; a dash when ``total`` is 0."""
    return f"{100.0 * part / total:.1f}%" if total else "–"


def per_class_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Precision, recall, F1 and support of each class, from :func:`~twcs_classifier.metrics.classification_metrics`."""
    frame = pd.DataFrame(metrics["per_class"]).T.reindex(list(CONFUSION_ORDER))
    frame.index = [LABEL_TEXT[label] for label in frame.index]
    frame["support"] = frame["support"].astype(int)
    return frame[["precision", "recall", "f1", "support"]]


def filter_mistakes(
    mistakes: pd.DataFrame,
    conditions: Sequence[str] | None = None,
    truth: str | None = None,
    min_confidence: float = 0.0,
    contains: str = "",
) -> pd.DataFrame:
    """The rows of a model's ``reports/errors_<model>.csv`` under ``conditions`` (all when
    ``None``), of true class ``truth`` (any when ``None``), at least ``min_confidence``
    confident, whose text holds ``contains`` (any case); most confident first."""
    keep = mistakes["confidence"] >= min_confidence
    if conditions is not None:
        keep &= mistakes["condition"].isin(list(conditions))
    if truth is not None:
        keep &= mistakes["truth"] == truth
    if contains.strip():
        keep &= mistakes["text"].astype(str).str.contains(contains.strip(), case=False, regex=False)
    return mistakes[keep].sort_values("confidence", ascending=False, kind="stable")


def labelled_filename(upload_name: str, spreadsheet: bool = False) -> str:
    """The download's name: ``tweets.csv -> tweets_labelled.csv`` (exact, for programs), or
    ``tweets_labelled_spreadsheet.csv`` (formulas escaped, for a spreadsheet)."""
    stem = Path(upload_name or "tweets").stem or "tweets"
    return f"{stem}_labelled{'_spreadsheet' if spreadsheet else ''}.csv"


SORT_ORDERS: dict[str, tuple[bool, bool] | None] = {
    "file order": None,
    "least confident first": (True, True),
    "most confident first": (True, False),
}
"""How the labelled rows can be listed: ``(sort by confidence, ascending)``, or as in the file."""


def view_rows(
    result: pd.DataFrame,
    confidence: tuple[float, float] = (0.0, 1.0),
    order: str = "file order",
    only_wrong: bool = False,
) -> pd.DataFrame:
    """The labelled rows whose confidence lies in ``confidence`` (inclusive), in ``order``
    (a key of :data:`SORT_ORDERS`); with ``only_wrong``, only rows whose ``correct`` is
    False. Rows without a prediction are left out."""
    low, high = confidence
    keep = result["confidence"].between(low, high)
    if only_wrong:
        keep &= result["correct"].eq(False)
    rows = result[keep]
    if SORT_ORDERS[order] is not None:
        rows = rows.sort_values("confidence", ascending=SORT_ORDERS[order][1], kind="stable")
    return rows


def card_summary(card: Mapping[str, Any]) -> pd.DataFrame:
    """The headline facts of a model card as (field, value) rows, for a small table."""
    test = card.get("metrics", {}).get("test", {})
    comparison = card.get("comparison", {})
    rows = [
        ("model", card.get("model")),
        ("kind", card.get("params", {}).get("kind")),
        ("chosen because", card.get("selection", {}).get("reason")),
        ("paired verdict", comparison.get("verdict")),
        ("rank by the figure", f"{comparison.get('rank')} by {comparison.get('rank_by')}" if comparison else None),
        ("test accuracy", test.get("accuracy")),
        ("test F1 (macro)", test.get("f1_macro")),
        ("test ROC-AUC", test.get("roc_auc")),
        ("test tweets", test.get("n")),
        ("seed", card.get("seed")),
        ("created", card.get("created")),
        (
            "data: SHA-256 of the split files (all 64 hex digits)",
            card.get("data_fingerprint", {}).get("sha256_of_split_files"),
        ),
    ]
    values = [
        format_metric(v, whole=isinstance(v, int)) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for _, v in rows
    ]
    return pd.DataFrame(
        {"field": [k for k, _ in rows], "value": ["–" if v is None else str(v) for v in values]}
    ).set_index("field")
