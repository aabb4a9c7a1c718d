"""Unit tests of what the app shows (twcs_classifier.app_view), on tiny inputs."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_json

from twcs_classifier import LABEL_TEXT, app_view
from twcs_classifier.layout import Layout


def test_example_tweets_are_short_distinct_and_cover_both_classes() -> None:
    examples = app_view.EXAMPLE_TWEETS
    assert len(examples) >= 3
    assert len({e.title for e in examples}) == len(examples)
    assert {e.kind for e in examples} == set(LABEL_TEXT)
    assert all(0 < len(e.text) <= 280 for e in examples)


@pytest.mark.parametrize(
    ("text", "expected", "cut"),
    [
        ("hello", "hello", False),
        ("", "", False),
        (None, "", False),
        (" \n\t ", " \n\t ", False),
        ("abcdefg", "abcde", True),
    ],
)
def test_prepare_text_cuts_to_the_cap(text: str | None, expected: str, cut: bool) -> None:
    prepared = app_view.prepare_text(text, max_chars=5)
    assert (prepared.text, prepared.cut) == (expected, cut)
    assert prepared.original_chars == len(text or "")


@pytest.mark.parametrize(
    ("p", "shown"),
    [(0.9731, "97.3%"), (0.5, "50.0%"), (1.0, "100.0%"), (0.0, "0.0%"), (0.99996, ">99.9%"), (0.00004, "<0.1%")],
)
def test_format_percent(p: float, shown: str) -> None:
    assert app_view.format_percent(p) == shown


def test_highlight_html_colours_by_direction_and_strength() -> None:
    out = app_view.highlight_html([("please", 2.0), ("dm", -1.0), ("the", 0.0)])
    assert out.startswith("<div") and out.endswith("</div>") and "\n" not in out
    spans = re.findall(r'<span class="twcs-token twcs-(\w+)" title="([^"]+)" style="background-color: ([^;]+);', out)
    assert spans == [
        ("inbound", "+2.0000", "rgba(31, 119, 180, 0.90)"),
        ("outbound", "-1.0000", "rgba(255, 127, 14, 0.51)"),
        ("neutral", "+0.0000", "transparent"),
    ]
    assert [m for m in re.findall(r">([^<]+)</span>", out)] == ["please", "dm", "the"]


def test_highlight_html_escapes_markup_and_markdown() -> None:
    out = app_view.highlight_html([("<script>alert(1)</script>", 1.0), ("*bold*", 0.5), ("$5", 0.1), (":smile:", 0)])
    assert "<script>" not in out and "*bold*" not in out and "$5" not in out and ":smile:" not in out
    assert "&#60;script&#62;" in out and "&#42;bold&#42;" in out and "&#36;5" in out
    assert app_view.highlight_html([]) == '<div class="twcs-highlight" style="line-height: 2.2;"></div>'


def test_highlight_html_survives_nan_and_all_zero_scores() -> None:
    out = app_view.highlight_html([("a", 0.0), ("b", math.nan)])
    assert "transparent" in out and "rgba" not in out


def test_legend_names_both_classes() -> None:
    legend = app_view.legend_html()
    assert LABEL_TEXT["inbound"] in legend and LABEL_TEXT["outbound"] in legend


def test_importance_frame_lists_the_strongest_first() -> None:
    frame = app_view.importance_frame([("a", 0.1), ("b", -0.5), ("c", 0.3), ("d", 0.0)], top=3)
    assert frame["token"].tolist() == ["b", "c", "a"]
    assert frame["towards"].tolist() == ["outbound", "inbound", "inbound"]


def test_labelled_filename() -> None:
    assert app_view.labelled_filename("tweets.csv") == "tweets_labelled.csv"
    assert app_view.labelled_filename("") == "tweets_labelled.csv"
    assert app_view.labelled_filename("a.b.csv") == "a.b_labelled.csv"


METRICS = {
    "model": "gru",
    "validation": {"n": 10, "accuracy": 0.9, "confusion": {"tn": 4, "fp": 1, "fn": 0, "tp": 5}},
    "test": {"n": 20, "accuracy": 0.95, "per_class": {"inbound": {"f1": 0.951}}},
    "timing": {"train_seconds": 8.23},
    "n_train": 100,
    "params": {"units": 64, "dropout": 0.3},
    "flag": True,
}


def test_flatten_metrics_names_leaves_as_dvc_does() -> None:
    assert app_view.flatten_metrics(METRICS) == {
        "validation.n": 10.0,
        "validation.accuracy": 0.9,
        "validation.confusion.tn": 4.0,
        "validation.confusion.fp": 1.0,
        "validation.confusion.fn": 0.0,
        "validation.confusion.tp": 5.0,
        "test.n": 20.0,
        "test.accuracy": 0.95,
        "test.per_class.inbound.f1": 0.951,
        "timing.train_seconds": 8.23,
        "n_train": 100.0,
    }


def test_metrics_table_puts_models_side_by_side_test_first() -> None:
    table = app_view.metrics_table({"gru": METRICS, "logreg": {"test": {"accuracy": 0.99, "log_loss": 0.05}}})
    assert table.columns.tolist() == ["gru", "logreg"]
    assert table.index.tolist()[:4] == ["test.n", "test.accuracy", "test.per_class.inbound.f1", "test.log_loss"]
    assert table.index.tolist()[-1] == "n_train"
    assert table.loc["test.accuracy"].tolist() == [0.95, 0.99]
    assert math.isnan(table.loc["test.n", "logreg"])


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2450.0, "2450"),
        (0.9865306122, "0.98653"),
        (0.0, "0"),
        (8.23, "8.23"),
        (math.nan, "–"),
        (0.00001234, "1.23e-05"),
        (12345.678, "12345.678"),
    ],
)
def test_format_metric_rounds_like_dvc(value: float, shown: str) -> None:
    assert app_view.format_metric(value) == shown


def test_thin_keeps_the_ends() -> None:
    frame = pd.DataFrame({"x": range(100)})
    thinned = app_view.thin(frame, 10)
    assert len(thinned) == 10 and thinned["x"].iloc[0] == 0 and thinned["x"].iloc[-1] == 99
    assert app_view.thin(frame.head(5), 10)["x"].tolist() == [0, 1, 2, 3, 4]


def test_load_curves_in_long_form(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_json(
        paths.plots / "a" / "roc.json", [{"fpr": 0, "tpr": 0, "threshold": 1}, {"fpr": 1, "tpr": 1, "threshold": 0}]
    )
    write_json(paths.plots / "b" / "roc.json", [{"fpr": 0, "tpr": 0.5, "threshold": 1}])
    curves = app_view.load_curves(paths, ["a", "b", "missing"], "roc")
    assert curves.columns.tolist() == ["model", "fpr", "tpr", "point"]
    assert curves.values.tolist() == [["a", 0, 0, 0], ["a", 1, 1, 1], ["b", 0, 0.5, 0]]
    assert app_view.load_curves(paths, ["missing"], "precision_recall").columns.tolist() == [
        "model",
        "recall",
        "precision",
        "point",
    ]


def test_confusion_table_counts_pairs() -> None:
    rows = [
        {"actual": "inbound", "predicted": "inbound"},
        {"actual": "inbound", "predicted": "outbound"},
        {"actual": "outbound", "predicted": "outbound"},
        {"actual": "outbound", "predicted": "outbound"},
    ]
    table = app_view.confusion_table(rows)
    assert table.index.tolist() == ["actual inbound", "actual outbound"]
    assert table.columns.tolist() == ["predicted inbound", "predicted outbound"]
    assert table.values.tolist() == [[1, 1], [0, 2]]
    assert app_view.confusion_table([]).values.tolist() == [[0, 0], [0, 0]]


def test_load_confusion(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    assert app_view.load_confusion(paths, "gru") is None
    write_json(paths.plots / "gru" / "confusion.json", [{"actual": "inbound", "predicted": "inbound"}])
    assert app_view.load_confusion(paths, "gru").values.tolist() == [[1, 0], [0, 0]]


def test_card_summary_shows_the_headline_facts() -> None:
    card = {
        "model": "gru",
        "params": {"kind": "recurrent"},
        "metrics": {"test": {"accuracy": 0.97346938, "f1_macro": 0.9734, "roc_auc": 0.9956, "n": 2450}},
        "comparison": {"rank": 3, "rank_by": "test.f1_macro"},
        "selection": {"model": "gru", "rule": "named", "reason": "select.model names gru"},
        "seed": 42,
    }
    summary = app_view.card_summary(card)["value"]
    assert summary["chosen because"] == "select.model names gru"
    assert summary["model"] == "gru" and summary["kind"] == "recurrent"
    assert summary["rank"] == "3 by test.f1_macro"
    assert summary["test accuracy"] == "0.97347" and summary["test tweets"] == "2450"
    assert summary["created"] == "–"
