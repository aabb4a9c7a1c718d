"""What the Streamlit app (``app.py``) shows, as plain functions: no Streamlit here.

The app wires widgets to these functions, to :mod:`twcs_classifier.serving` (predictions,
the CSV input) and to :mod:`twcs_classifier.artifacts` (what the pipeline wrote), so
everything that decides *what* the page shows (the example tweets, the highlighted
words, the metrics table, the curves, the confusion matrix, the card) is Python that tests
call with tiny inputs. All of them compute from their arguments alone except
:func:`load_curves`, which reads the models' plot files through
:func:`~twcs_classifier.artifacts.read_plot`.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import LABEL_TEXT
from .artifacts import read_plot
from .evaluation import CONDITIONS
from .layout import PRECISION_RECALL, ROC, Layout, reliability_plot
from .metrics import thin_indices

CURVES: dict[str, tuple[str, ...]] = {
    ROC: ("fpr", "tpr"),
    PRECISION_RECALL: ("recall", "precision"),
    **{reliability_plot(condition): ("confidence", "accuracy", "count") for condition in CONDITIONS},
}
"""Each curve's file stem under ``plots/<model>/`` and its columns: x, y, then any others
(a reliability bin's tweet count)."""

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


CLASS_NOUN: dict[str, str] = {"inbound": "customer query", "outbound": "company reply"}
"""Each class as a noun, for sentences."""


def percent_pair(p: float) -> tuple[str, str]:
    """``p`` and ``1 - p`` as percentages that read as a pair: one decimal, adding up to
    100, and near-certain ones as ``>99.9%`` beside ``<0.1%`` (never ``100.0%`` beside
    ``<0.1%``: a model is not certain because a float rounded)."""
    tenths = round(1000.0 * min(max(p, 0.0), 1.0))
    if tenths >= 1000:
        return ">99.9%", "<0.1%"
    if tenths <= 0:
        return "<0.1%", ">99.9%"
    return f"{tenths / 10:.1f}%", f"{(1000 - tenths) / 10:.1f}%"


def probability_line(label: str, p_inbound: float) -> str:
    """One Markdown line for a prediction: the predicted class's probability first, e.g.
    ``**97.3%** customer query · 2.7% company reply``."""
    other = "outbound" if label == "inbound" else "inbound"
    p = p_inbound if label == "inbound" else 1.0 - p_inbound
    mine, theirs = percent_pair(p)
    return f"**{mine}** {CLASS_NOUN[label]} · {theirs} {CLASS_NOUN[other]}"


# -- a user's strings on a page: text, never Markdown or HTML ----------------------------------------
_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and an escaped
one is shown as itself (no emphasis, code, link, image, HTML tag, entity, maths or colour)."""


def md_text(value: Any) -> str:
    """Any string (a column name, a file name, a cell, a label value, a message holding them) as
    Markdown that Streamlit shows as exactly that text: every ASCII punctuation character is
    backslash-escaped, so ``![x](http://host/p.png)`` is shown, never fetched as an image, and
    ``<b>`` or a backtick is just a character. Line breaks stay line breaks (leading spaces are
    dropped, so no line turns into a code block). The one way the app puts a string it did not
    write itself into Markdown (``st.markdown``, ``st.error``, ``st.caption``, widget labels ...)."""
    lines = str(value).splitlines() or [""]
    return "  \n".join(_MD_PUNCTUATION.sub(r"\\\1", line.strip()) for line in lines)


def md_code(value: Any) -> str:
    """A string as a Markdown code span that holds exactly it, whatever backticks it contains
    (the fence is one backtick longer than the longest run inside; line breaks become spaces)."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def without_root(text: str, root: str | Path) -> str:
    """``text`` with the project's absolute folder left out of every path in it (``/srv/app/models/x``
    -> ``models/x``), so no page shows where the server keeps its files."""
    root = str(root).rstrip("/\\")
    if not root:
        return text
    return text.replace(root + os.sep, "").replace(root + "/", "").replace(root, ".")


def error_markdown(problem: str, fix: str, root: str | Path | None = None) -> str:
    """A :class:`~twcs_classifier.errors.PipelineError` as the app shows it: the problem in bold,
    then how to fix it, both as text (:func:`md_text`: a file or column name in a message is never
    read as Markdown, nor changed: a problem that starts with a file's name keeps its case), with
    the project's folder left out of paths (:func:`without_root`)."""
    if root is not None:
        problem, fix = without_root(problem, root), without_root(fix, root)
    return f"**{md_text(problem)}.**\n\nHow to fix: {md_text(fix)}."


_SPECIAL = frozenset("<>&\"'\\`*_{}[]()#+-!|~$:^")


def _entity_escape(token: str) -> str:
    """Write the characters HTML, Markdown or Streamlit would read (tags, emphasis, code,
    links, maths, emoji short codes) as numeric entities, so a token shows as typed."""
    return "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in token)


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha:.2f})"


def highlight_html(scores: Sequence[tuple[str, float]], read: int | None = None) -> str:
    """The words as one line of HTML, each on a background whose colour says which way it
    pushes (blue: inbound, orange: outbound) and whose strength is its share of the largest
    absolute score. Hovering a word shows its score.

    With ``read`` (the model reads only a text's first ``read`` words), the words past it
    follow a marker, greyed and struck through, as not read.

    The output is a single ``<div>`` without blank lines, so Markdown passes it through as
    raw HTML; words are escaped so none can inject markup.
    """
    cut = len(scores) if read is None else min(read, len(scores))
    largest = max((abs(s) for _, s in scores[:cut] if math.isfinite(s)), default=0.0)
    spans = []
    for token, score in scores[:cut]:
        share = abs(score) / largest if largest > 0 and math.isfinite(score) else 0.0
        direction = "inbound" if score > 0 else "outbound" if score < 0 else "neutral"
        rgb = INBOUND_RGB if score > 0 else OUTBOUND_RGB
        background = _rgba(rgb, 0.12 + 0.78 * share) if share > 0.0 else "transparent"
        spans.append(
            f'<span class="twcs-token twcs-{direction}" title="{score:+.4f}" '
            f'style="background-color: {background}; {_TOKEN_STYLE}">{_entity_escape(token)}</span>'
        )
    if cut < len(scores):
        spans.append(
            f'<span class="twcs-stop" style="{_TOKEN_STYLE} font-size: 0.8em; border: 1px dashed grey;">'
            f"the model stops reading here: {len(scores) - cut:,} more not read</span>"
        )
        spans.extend(
            f'<span class="twcs-token twcs-unread" title="not read" style="{_TOKEN_STYLE} color: grey; '
            f'text-decoration: line-through;">{_entity_escape(token)}</span>'
            for token, _ in scores[cut:]
        )
    return f'<div class="twcs-highlight" style="line-height: 2.2;">{" ".join(spans)}</div>'


_TOKEN_STYLE = "padding: 0.15em 0.3em; border-radius: 0.3em; margin: 0 0.1em; display: inline-block;"


def reading_note(n_words: int, read: int, limit: int | None) -> str | None:
    """A sentence saying which words the model read (``read`` of ``n_words``), when it did not
    read them all; ``limit``: how many tokens of a text it reads."""
    if limit is None or n_words <= read:
        return None
    return (
        f"The model reads a text's first {limit} tokens (a word's punctuation counts apart): it read {read:,} "
        f"of these {n_words:,} words. The {n_words - read:,} after them (struck through) did not count."
    )


def legend_html() -> str:
    """A key to the colours of :func:`highlight_html`: two chips and a note. Each chip keeps its
    words on one line (a narrow screen wraps between the chips, never inside one)."""
    inbound = _rgba(INBOUND_RGB, 0.6)
    outbound = _rgba(OUTBOUND_RGB, 0.6)
    chip = (
        "padding: 0.1em 0.4em; border-radius: 0.3em; margin-right: 0.3em; white-space: nowrap; display: inline-block;"
    )
    return (
        '<div class="twcs-legend" style="font-size: 0.875em; line-height: 1.9;">'
        f'<span class="twcs-chip" style="background-color: {inbound}; {chip}">'
        f"towards {html.escape(LABEL_TEXT['inbound'])}</span> "
        f'<span class="twcs-chip" style="background-color: {outbound}; {chip}">'
        f"towards {html.escape(LABEL_TEXT['outbound'])}</span> "
        '<span style="white-space: nowrap;">stronger colour, stronger push</span></div>'
    )


def importance_frame(scores: Sequence[tuple[str, float]], top: int = 10) -> pd.DataFrame:
    """The ``top`` words with the largest absolute scores, strongest first."""
    frame = pd.DataFrame(scores, columns=["word", "score"])
    frame["towards"] = frame["score"].map(lambda s: "inbound" if s > 0 else "outbound" if s < 0 else "neither")
    order = frame["score"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].head(top).reset_index(drop=True)


# -- a CSV ----------------------------------------------------------------------------------------
def labelled_filename(upload_name: str, spreadsheet: bool = False) -> str:
    """The download's name: ``tweets.csv -> tweets_labelled.csv`` (exact, for programs), or
    ``tweets_labelled_spreadsheet.csv`` (formulas escaped, for a spreadsheet)."""
    stem = Path(upload_name or "tweets").stem or "tweets"
    return f"{stem}_labelled{'_spreadsheet' if spreadsheet else ''}.csv"


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


def thin(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` evenly spaced rows of ``frame``, always keeping the first and
    last (a curve keeps its ends and its shape; the browser gets a small chart)."""
    return frame.iloc[thin_indices(len(frame), max_points)]


def load_curves(layout: Layout, names: Sequence[str], curve: str, max_points: int = 400) -> pd.DataFrame:
    """One curve (a key of :data:`CURVES`) of every model, in long form: columns
    ``model``, the curve's columns (x, y, ...) and ``point`` (the order to draw the points in)."""
    columns = list(CURVES[curve])
    parts = []
    for name in names:
        rows = read_plot(layout, name, curve)
        if not rows:
            continue
        part = thin(pd.DataFrame(rows).reindex(columns=columns), max_points).reset_index(drop=True)
        part.insert(0, "model", name)
        part["point"] = range(len(part))
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["model", *columns, "point"])
    return pd.concat(parts, ignore_index=True)


def curve_domain(values: Iterable[float], floor: float, step: float = 0.1) -> list[float]:
    """An axis from ``floor`` (or lower, in steps of ``step``, to hold every value) to 1."""
    finite = [v for v in values if isinstance(v, int | float) and math.isfinite(v)]
    low = min([floor, *finite])
    return [max(0.0, math.floor(round(low / step, 6)) * step), 1.0]


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
    tint = f"background-color: {_rgba(INBOUND_RGB, 0.15)}"
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


# -- mistakes page ---------------------------------------------------------------------------------
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


# -- a CSV's result ---------------------------------------------------------------------------------
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
