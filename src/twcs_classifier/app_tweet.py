"""What the app's One tweet page shows, as plain functions (no Streamlit): the example tweets,
a user's text cut to the cap, the prediction as one line of probabilities in words, the words
highlighted by which way they push (with the key to the colours and a note on the words the
model did not read), and the table of the strongest words. Computed from the arguments alone.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from . import LABEL_TEXT

INBOUND_RGB = (31, 119, 180)
OUTBOUND_RGB = (255, 127, 14)
"""Highlight colours: blue pushes towards inbound, orange towards outbound."""


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


_SPECIAL = frozenset("<>&\"'\\`*_{}[]()#+-!|~$:^")


def _entity_escape(token: str) -> str:
    """Write the characters HTML, Markdown or Streamlit would read (tags, emphasis, code,
    links, maths, emoji short codes) as numeric entities, so a token shows as typed."""
    return "".join(f"&#{ord(ch)};" if ch in _SPECIAL else ch for ch in token)


def rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    """A colour as CSS ``rgba(...)``: ``rgb`` at opacity ``alpha``."""
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
        background = rgba(rgb, 0.12 + 0.78 * share) if share > 0.0 else "transparent"
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
    inbound = rgba(INBOUND_RGB, 0.6)
    outbound = rgba(OUTBOUND_RGB, 0.6)
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
