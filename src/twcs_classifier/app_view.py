"""What the Streamlit app (``app.py``) shows, as pure functions: no Streamlit here.

The app wires widgets to these functions, to :mod:`twcs_classifier.serving` (predictions,
the CSV input) and to :mod:`twcs_classifier.artifacts` (what the pipeline wrote), so
everything that decides *what* the page shows (the example tweets, the highlighted
words, the metrics table, the curves, the confusion matrix, the card) is plain Python
that tests call with tiny inputs.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import LABEL_TEXT
from .artifacts import read_plot
from .evaluation import CONDITIONS
from .layout import CONFUSION, PRECISION_RECALL, ROC, Layout, reliability_plot
from .metrics import thin_indices

CURVES: dict[str, tuple[str, str]] = {
    ROC: ("fpr", "tpr"),
    PRECISION_RECALL: ("recall", "precision"),
    **{reliability_plot(condition): ("confidence", "accuracy") for condition in CONDITIONS},
}
"""Each curve's file stem under ``plots/<model>/`` and its (x, y) columns."""

CONFUSION_ORDER: tuple[str, str] = ("inbound", "outbound")
"""Row and column order of a confusion matrix: the positive class (inbound) first."""

INBOUND_RGB = (31, 119, 180)
OUTBOUND_RGB = (255, 127, 14)
"""Highlight colours: blue pushes towards inbound, orange towards outbound."""


# -- one tweet ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExampleTweet:
    """A tweet to try with one click; ``kind`` says what it is meant to look like."""

    title: str
    text: str
    kind: str


EXAMPLE_TWEETS: tuple[ExampleTweet, ...] = (
    ExampleTweet(
        "Late parcel",
        "@AmazonHelp my package says delivered but it's not here and nobody in my building has it. What now??",
        "inbound",
    ),
    ExampleTweet(
        "Support reply",
        "@115712 We're sorry to hear that! Please send us a DM with your order number and we'll look into it. ^JK",
        "outbound",
    ),
    ExampleTweet(
        "App crash",
        "@SpotifyCares the app crashes every single time I open a playlist 😡 already reinstalled it twice",
        "inbound",
    ),
    ExampleTweet(
        "Follow-up reply",
        "@823901 Thanks for reaching out. Can you tell us which device you're using? We'd like to help. "
        "https://t.co/x1y2z3",
        "outbound",
    ),
    ExampleTweet(
        "Bill question",
        "@sprintcare why is my bill $40 higher this month? I didn't change anything on my plan",
        "inbound",
    ),
)
"""Tweets in the style of the dataset (customer queries start with the brand's handle,
company replies with the customer's numeric handle and often a signature)."""


@dataclass(frozen=True)
class PreparedText:
    """A user's text as it will be predicted: cut to the cap, with what happened to it."""

    text: str
    original_chars: int
    cut: bool


def prepare_text(text: str | None, max_chars: int) -> PreparedText:
    """Cut ``text`` to ``max_chars`` characters (``None`` counts as empty)."""
    text = text or ""
    return PreparedText(text[:max_chars], len(text), len(text) > max_chars)


def format_percent(p: float) -> str:
    """A probability as a percentage with one decimal, e.g. ``0.9731 -> '97.3%'``; one that
    would round to 100.0% or 0.0% without being certain shows as ``>99.9%`` or ``<0.1%``."""
    if 0.9995 <= p < 1.0:
        return ">99.9%"
    if 0.0 < p < 0.0005:
        return "<0.1%"
    return f"{100.0 * p:.1f}%"


_SPECIAL = frozenset("<>&\"'\\`*_{}[]()#+-!|~$:^")


def _entity_escape(token: str) -> str:
    """Write the characters HTML, Markdown or Streamlit would read (tags, emphasis, code,
    links, maths, emoji short codes) as numeric entities, so a token shows as typed."""
    return "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in token)


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha:.2f})"


def highlight_html(scores: Sequence[tuple[str, float]]) -> str:
    """The tokens as one line of HTML, each on a background whose colour says which way it
    pushes (blue: inbound, orange: outbound) and whose strength is its share of the largest
    absolute score. Hovering a token shows its score.

    The output is a single ``<div>`` without blank lines, so Markdown passes it through as
    raw HTML; tokens are escaped so none can inject markup.
    """
    largest = max((abs(s) for _, s in scores if math.isfinite(s)), default=0.0)
    spans = []
    for token, score in scores:
        share = abs(score) / largest if largest > 0 and math.isfinite(score) else 0.0
        direction = "inbound" if score > 0 else "outbound" if score < 0 else "neutral"
        rgb = INBOUND_RGB if score > 0 else OUTBOUND_RGB
        background = _rgba(rgb, 0.12 + 0.78 * share) if share > 0.0 else "transparent"
        spans.append(
            f'<span class="twcs-token twcs-{direction}" title="{score:+.4f}" '
            f'style="background-color: {background}; padding: 0.15em 0.3em; border-radius: 0.3em; '
            f'margin: 0 0.1em; display: inline-block;">{_entity_escape(token)}</span>'
        )
    return f'<div class="twcs-highlight" style="line-height: 2.2;">{" ".join(spans)}</div>'


def legend_html() -> str:
    """A one-line key to the colours of :func:`highlight_html`."""
    inbound = _rgba(INBOUND_RGB, 0.6)
    outbound = _rgba(OUTBOUND_RGB, 0.6)
    style = "padding: 0.1em 0.4em; border-radius: 0.3em;"
    return (
        f'<div class="twcs-legend" style="font-size: 0.875em;"><span style="background-color: {inbound}; {style}">'
        f"towards {html.escape(LABEL_TEXT['inbound'])}</span> &nbsp; "
        f'<span style="background-color: {outbound}; {style}">'
        f"towards {html.escape(LABEL_TEXT['outbound'])}</span> &nbsp; stronger colour, stronger push</div>"
    )


def importance_frame(scores: Sequence[tuple[str, float]], top: int = 10) -> pd.DataFrame:
    """The ``top`` tokens with the largest absolute scores, strongest first."""
    frame = pd.DataFrame(scores, columns=["token", "score"])
    frame["towards"] = frame["score"].map(lambda s: "inbound" if s > 0 else "outbound" if s < 0 else "neither")
    order = frame["score"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].head(top).reset_index(drop=True)


# -- a CSV ----------------------------------------------------------------------------------------
def labelled_filename(upload_name: str) -> str:
    """The download's name: ``tweets.csv -> tweets_labelled.csv``."""
    stem = Path(upload_name or "tweets").stem or "tweets"
    return f"{stem}_labelled.csv"


# -- models page --------------------------------------------------------------------------------
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


def format_metric(value: float) -> str:
    """A metric as ``dvc metrics show`` prints it: whole numbers without decimals, others
    rounded to 5 decimals (tiny ones in scientific notation); a missing value as a dash."""
    if value is None or math.isnan(value):
        return "–"
    value = float(value)
    if value.is_integer():
        return f"{value:.0f}"
    return str(round(value, 5)) if abs(value) >= 1e-4 else f"{value:.2e}"


def thin(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` evenly spaced rows of ``frame``, always keeping the first and
    last (a curve keeps its ends and its shape; the browser gets a small chart)."""
    return frame.iloc[thin_indices(len(frame), max_points)]


def load_curves(layout: Layout, names: Sequence[str], curve: str, max_points: int = 400) -> pd.DataFrame:
    """One curve (a key of :data:`CURVES`) of every model, in long form: columns
    ``model``, the curve's x and y, and ``point`` (the order to draw the points in)."""
    x, y = CURVES[curve]
    parts = []
    for name in names:
        rows = read_plot(layout, name, curve)
        if not rows:
            continue
        part = thin(pd.DataFrame(rows, columns=[x, y]), max_points).reset_index(drop=True)
        part.insert(0, "model", name)
        part["point"] = range(len(part))
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["model", x, y, "point"])
    return pd.concat(parts, ignore_index=True)


def confusion_table(rows: Iterable[Mapping[str, str]]) -> pd.DataFrame:
    """Counts of (actual, predicted) pairs as a matrix: actual classes down, predicted across."""
    frame = pd.DataFrame(list(rows), columns=["actual", "predicted"])
    labels = list(CONFUSION_ORDER) + sorted(set(frame["actual"]).union(frame["predicted"]) - set(CONFUSION_ORDER))
    counts = pd.crosstab(frame["actual"], frame["predicted"]).reindex(index=labels, columns=labels, fill_value=0)
    counts.index = [f"actual {label}" for label in labels]
    counts.columns = [f"predicted {label}" for label in labels]
    return counts.astype(int)


def load_confusion(layout: Layout, name: str) -> pd.DataFrame | None:
    """The confusion matrix of model ``name`` from ``plots/<name>/confusion.json``."""
    rows = read_plot(layout, name, CONFUSION)
    return None if rows is None else confusion_table(rows)


def card_summary(card: Mapping[str, Any]) -> pd.DataFrame:
    """The headline facts of a model card as (field, value) rows, for a small table."""
    test = card.get("metrics", {}).get("test", {})
    comparison = card.get("comparison", {})
    rows = [
        ("model", card.get("model")),
        ("kind", card.get("params", {}).get("kind")),
        ("chosen because", card.get("selection", {}).get("reason")),
        ("rank", f"{comparison.get('rank')} by {comparison.get('rank_by')}" if comparison else None),
        ("test accuracy", test.get("accuracy")),
        ("test F1 (macro)", test.get("f1_macro")),
        ("test ROC-AUC", test.get("roc_auc")),
        ("test tweets", test.get("n")),
        ("seed", card.get("seed")),
        ("created", card.get("created")),
        ("data (sha256 of the split files)", card.get("data_fingerprint", {}).get("sha256_of_split_files")),
    ]
    values = [format_metric(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for _, v in rows]
    return pd.DataFrame(
        {"field": [k for k, _ in rows], "value": ["–" if v is None else str(v) for v in values]}
    ).set_index("field")
