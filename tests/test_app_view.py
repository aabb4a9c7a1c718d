"""Unit tests of what the app shows (twcs_classifier.app_tweet, app_tables, app_curves, app_text), on tiny inputs."""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_json

from twcs_classifier import LABEL_TEXT, app_curves, app_tables, app_text, app_tweet
from twcs_classifier.layout import Layout


def test_example_tweets_are_short_distinct_and_cover_both_classes() -> None:
    examples = app_tweet.EXAMPLE_TWEETS
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
    prepared = app_tweet.prepare_text(text, max_chars=5)
    assert (prepared.text, prepared.cut) == (expected, cut)
    assert prepared.original_chars == len(text or "")


@pytest.mark.parametrize(
    ("p", "pair"),
    [
        (0.9731, ("97.3%", "2.7%")),
        (0.5, ("50.0%", "50.0%")),
        (0.12345, ("12.3%", "87.7%")),
        (1.0, (">99.9%", "<0.1%")),
        (0.99996, (">99.9%", "<0.1%")),
        (0.0, ("<0.1%", ">99.9%")),
        (0.00004, ("<0.1%", ">99.9%")),
    ],
)
def test_percent_pair_reads_as_a_pair(p: float, pair: tuple[str, str]) -> None:
    assert app_tweet.percent_pair(p) == pair


def test_probability_line_puts_the_predicted_class_first() -> None:
    assert app_tweet.probability_line("inbound", 0.9731) == "**97.3%** customer query · 2.7% company reply"
    assert app_tweet.probability_line("outbound", 0.0269) == "**97.3%** company reply · 2.7% customer query"
    assert app_tweet.probability_line("inbound", 1.0) == "**>99.9%** customer query · <0.1% company reply"


def test_highlight_html_colours_by_direction_and_strength() -> None:
    out = app_tweet.highlight_html([("please", 2.0), ("dm", -1.0), ("the", 0.0)])
    assert out.startswith("<div") and out.endswith("</div>") and "\n" not in out
    spans = re.findall(r'<span class="twcs-token twcs-(\w+)" title="([^"]+)" style="background-color: ([^;]+);', out)
    assert spans == [
        ("inbound", "+2.0000", "rgba(31, 119, 180, 0.90)"),
        ("outbound", "-1.0000", "rgba(255, 127, 14, 0.51)"),
        ("neutral", "+0.0000", "transparent"),
    ]
    assert [m for m in re.findall(r">([^<]+)</span>", out)] == ["please", "dm", "the"]


def test_highlight_html_escapes_markup_and_markdown() -> None:
    out = app_tweet.highlight_html([("<script>alert(1)</script>", 1.0), ("*bold*", 0.5), ("$5", 0.1), (":smile:", 0)])
    assert "<script>" not in out and "*bold*" not in out and "$5" not in out and ":smile:" not in out
    assert "&#60;script&#62;" in out and "&#42;bold&#42;" in out and "&#36;5" in out
    assert app_tweet.highlight_html([]) == '<div class="twcs-highlight" style="line-height: 2.2;"></div>'


def test_highlight_html_marks_the_tokens_past_what_the_model_reads() -> None:
    scores = [("a", 1.0), ("b", -2.0), ("c", 0.0), ("d", 0.0)]
    out = app_tweet.highlight_html(scores, read=2)
    assert re.findall(r'twcs-token twcs-(\w+)"', out) == ["inbound", "outbound", "unread", "unread"]
    assert "the model stops reading here: 2 more not read" in out and "line-through" in out
    assert out.index("stops reading") < out.index(">c</span>")
    assert app_tweet.highlight_html(scores, read=10) == app_tweet.highlight_html(scores)
    assert "twcs-unread" not in app_tweet.highlight_html(scores)


def test_reading_note_only_when_words_were_left_unread() -> None:
    assert app_tweet.reading_note(10, 10, None) is None
    assert app_tweet.reading_note(50, 50, 64) is None
    assert app_tweet.reading_note(974, 50, 64) == (
        "The model reads a text's first 64 tokens (a word's punctuation counts apart): it read 50 of these 974 "
        "words. The 924 after them (struck through) did not count."
    )


def test_highlight_html_survives_nan_and_all_zero_scores() -> None:
    out = app_tweet.highlight_html([("a", 0.0), ("b", math.nan)])
    assert "transparent" in out and "rgba" not in out


def test_legend_names_both_classes() -> None:
    legend = app_tweet.legend_html()
    assert LABEL_TEXT["inbound"] in legend and LABEL_TEXT["outbound"] in legend


def test_importance_frame_lists_the_strongest_first() -> None:
    frame = app_tweet.importance_frame([("a", 0.1), ("b", -0.5), ("c", 0.3), ("d", 0.0)], top=3)
    assert frame["word"].tolist() == ["b", "c", "a"]
    assert frame["towards"].tolist() == ["outbound", "inbound", "inbound"]


def test_labelled_filename() -> None:
    assert app_tables.labelled_filename("tweets.csv") == "tweets_labelled.csv"
    assert app_tables.labelled_filename("") == "tweets_labelled.csv"
    assert app_tables.labelled_filename("a.b.csv") == "a.b_labelled.csv"
    assert app_tables.labelled_filename("a.csv", spreadsheet=True) == "a_labelled_spreadsheet.csv"


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
    assert app_tables.flatten_metrics(METRICS) == {
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
    table = app_tables.metrics_table({"gru": METRICS, "logreg": {"test": {"accuracy": 0.99, "log_loss": 0.05}}})
    assert table.columns.tolist() == ["gru", "logreg"]
    assert table.index.tolist()[:4] == ["test.n", "test.accuracy", "test.per_class.inbound.f1", "test.log_loss"]
    assert table.index.tolist()[-1] == "n_train"
    assert table.loc["test.accuracy"].tolist() == [0.95, 0.99]
    assert math.isnan(table.loc["test.n", "logreg"])


@pytest.mark.parametrize(
    ("value", "whole", "shown"),
    [
        (0.9865306122, False, "0.9865"),
        (0.935, False, "0.9350"),
        (0.93499, False, "0.9350"),
        (1.0, False, "1.0000"),
        (0.00001234, False, "0.0000"),
        (8.23, False, "8.2300"),
        (2450.0, True, "2450"),
        (math.nan, False, "–"),
        (None, True, "–"),
    ],
)
def test_format_metric_gives_every_figure_four_decimals(value: float, whole: bool, shown: str) -> None:
    assert app_tables.format_metric(value, whole) == shown


def test_figures_side_by_side_share_one_format() -> None:
    table = pd.DataFrame({"rank": [1, 2], "f1": [0.935, 0.93499], "n": [2400.0, math.nan]}, index=["a", "b"])
    html = app_tables.style_figures(table).to_html()
    assert ">0.9350<" in html and ">0.935<" not in html and ">2400<" in html and ">1<" in html and ">–<" in html
    rows = app_tables.style_figures(table.T, by="row").to_html()
    assert ">0.9350<" in rows and ">2400<" in rows and ">2.0000<" not in rows


def test_thin_keeps_the_ends() -> None:
    frame = pd.DataFrame({"x": range(100)})
    thinned = app_curves.thin(frame, 10)
    assert len(thinned) == 10 and thinned["x"].iloc[0] == 0 and thinned["x"].iloc[-1] == 99
    assert app_curves.thin(frame.head(5), 10)["x"].tolist() == [0, 1, 2, 3, 4]


def test_load_curves_in_long_form(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_json(
        paths.plots / "a" / "roc.json", [{"fpr": 0, "tpr": 0, "threshold": 1}, {"fpr": 1, "tpr": 1, "threshold": 0}]
    )
    write_json(paths.plots / "b" / "roc.json", [{"fpr": 0, "tpr": 0.5, "threshold": 1}])
    curves = app_curves.load_curves(paths, ["a", "b", "missing"], "roc")
    assert curves.columns.tolist() == ["model", "fpr", "tpr", "point"]
    assert curves.values.tolist() == [["a", 0, 0, 0], ["a", 1, 1, 1], ["b", 0, 0.5, 0]]
    assert app_curves.load_curves(paths, ["missing"], "precision_recall").columns.tolist() == [
        "model",
        "recall",
        "precision",
        "point",
    ]


def test_reliability_curves_keep_the_bin_counts(tmp_path: Path) -> None:
    paths = Layout(tmp_path)
    write_json(paths.plots / "a" / "reliability_test.json", [{"confidence": 0.6, "accuracy": 0.5, "count": 3}])
    curves = app_curves.load_curves(paths, ["a"], "reliability_test")
    assert curves.to_dict("records") == [{"model": "a", "confidence": 0.6, "accuracy": 0.5, "count": 3, "point": 0}]


@pytest.mark.parametrize(
    ("values", "domain"), [([0.62, 0.9], [0.5, 1.0]), ([0.43, 1.0], [0.4, 1.0]), ([0.0], [0.0, 1.0]), ([], [0.5, 1.0])]
)
def test_curve_domain_holds_every_value(values: list[float], domain: list[float]) -> None:
    assert app_curves.curve_domain(values, floor=0.5) == pytest.approx(domain)


COMPARE = {
    "models": {
        "gru": {
            "rank": 2,
            "selected": True,
            "test": {"accuracy": 0.97, "f1_macro": 0.969, "ece": 0.006},
            "test_unseen_brands": {"accuracy": 0.94, "f1_macro": 0.943},
            "test_masked": {"accuracy": 0.93, "f1_macro": 0.93},
        },
        "logreg": {
            "rank": 1,
            "selected": False,
            "test": {"accuracy": 0.985, "f1_macro": 0.985, "ece": 0.005},
            "test_unseen_brands": {"accuracy": 0.978, "f1_macro": 0.978},
            "test_masked": {"accuracy": 0.947, "f1_macro": 0.946},
        },
    }
}


def test_compare_table_ranks_the_models_and_marks_the_served_one() -> None:
    table = app_tables.compare_table(COMPARE)
    assert table.index.tolist() == ["logreg", "gru (served)"]
    assert table.columns.tolist() == [
        "rank",
        "random split: accuracy",
        "random split: F1",
        "unseen brands: accuracy",
        "unseen brands: F1",
        "masked text: accuracy",
        "masked text: F1",
        "ECE random",
    ]
    assert table.loc["gru (served)", "unseen brands: F1"] == 0.943
    styles = app_tables.compare_style(table).to_html().split("</style>")[0]  # the served row (row 1) tinted
    assert "background-color" in styles and "_row1_col7" in styles and "_row0_" not in styles


def test_confusion_display_gives_counts_and_the_share_of_the_actual_class() -> None:
    table = app_tables.confusion_display({"tn": 896, "fp": 13, "fn": 14, "tp": 895})
    assert table.index.tolist() == ["actual inbound", "actual outbound"]
    assert table.columns.tolist() == ["predicted inbound", "predicted outbound"]
    assert table.values.tolist() == [["895 (98.5%)", "14 (1.5%)"], ["13 (1.4%)", "896 (98.6%)"]]
    empty = app_tables.confusion_display({"tn": 0, "fp": 0, "fn": 1200, "tp": 0})
    assert empty.values.tolist() == [["0 (0.0%)", "1,200 (100.0%)"], ["0 (–)", "0 (–)"]]


def test_per_class_table() -> None:
    metrics = {
        "per_class": {
            "outbound": {"precision": 0.9, "recall": 0.8, "f1": 0.85, "support": 10},
            "inbound": {"precision": 0.7, "recall": 0.6, "f1": 0.65, "support": 5},
        }
    }
    table = app_tables.per_class_table(metrics)
    assert table.index.tolist() == [LABEL_TEXT["inbound"], LABEL_TEXT["outbound"]]
    assert table.columns.tolist() == ["precision", "recall", "f1", "support"]
    assert table.loc[LABEL_TEXT["outbound"], "support"] == 10


MISTAKES = pd.DataFrame(
    {
        "condition": ["test", "test_masked", "test", "test_unseen_brands"],
        "text": ["@1 sorry ^BB", "@user my bag", "Where IS my bag", "@2 thanks"],
        "truth": ["inbound", "outbound", "inbound", "outbound"],
        "predicted": ["outbound", "inbound", "outbound", "inbound"],
        "p_inbound": [0.01, 0.97, 0.2, 0.6],
        "confidence": [0.99, 0.97, 0.8, 0.6],
    }
)


def test_filter_mistakes() -> None:
    assert app_tables.filter_mistakes(MISTAKES)["confidence"].tolist() == [0.99, 0.97, 0.8, 0.6]
    assert app_tables.filter_mistakes(MISTAKES, ["test"])["text"].tolist() == ["@1 sorry ^BB", "Where IS my bag"]
    assert app_tables.filter_mistakes(MISTAKES, truth="outbound")["text"].tolist() == ["@user my bag", "@2 thanks"]
    assert app_tables.filter_mistakes(MISTAKES, min_confidence=0.9)["confidence"].tolist() == [0.99, 0.97]
    assert app_tables.filter_mistakes(MISTAKES, contains=" my BAG ")["text"].tolist() == [
        "@user my bag",
        "Where IS my bag",
    ]
    assert app_tables.filter_mistakes(MISTAKES, [], None).empty


RESULT = pd.DataFrame(
    {
        "row": [1, 2, 3, 4],
        "confidence": [0.9, math.nan, 0.6, 0.99],
        "correct": [True, None, False, False],
    }
)


def test_view_rows_filters_and_sorts_by_confidence() -> None:
    assert app_tables.view_rows(RESULT)["row"].tolist() == [1, 3, 4]  # rows without a prediction left out
    assert app_tables.view_rows(RESULT, order="least confident first")["row"].tolist() == [3, 1, 4]
    assert app_tables.view_rows(RESULT, order="most confident first")["row"].tolist() == [4, 1, 3]
    assert app_tables.view_rows(RESULT, (0.5, 0.9))["row"].tolist() == [1, 3]
    assert app_tables.view_rows(RESULT, only_wrong=True)["row"].tolist() == [3, 4]


def test_card_summary_shows_the_headline_facts() -> None:
    card = {
        "model": "gru",
        "params": {"kind": "recurrent"},
        "metrics": {"test": {"accuracy": 0.97346938, "f1_macro": 0.9734, "roc_auc": 0.9956, "n": 2450}},
        "comparison": {"rank": 3, "rank_by": "test.f1_macro", "verdict": "gru is not significantly worse than any"},
        "selection": {"model": "gru", "rule": "named", "reason": "select.model in params.yaml names gru"},
        "seed": 42,
        "data_fingerprint": {"sha256_of_split_files": "0123456789abcdef" * 4},
    }
    summary = app_tables.card_summary(card)["value"]
    assert summary["chosen because"] == "select.model in params.yaml names gru"
    assert summary["paired verdict"] == "gru is not significantly worse than any"
    assert summary["model"] == "gru" and summary["kind"] == "recurrent"
    assert summary["rank by the figure"] == "3 by test.f1_macro"
    assert summary["test accuracy"] == "0.9735" and summary["test F1 (macro)"] == "0.9734"
    assert summary["test tweets"] == "2450" and summary["seed"] == "42"
    assert summary["created"] == "–"
    assert summary.filter(like="SHA-256").iloc[0] == "0123456789abcdef" * 4  # whole: all 64 digits


# -- a user's strings on a page -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "![x](http://127.0.0.1:8799/p.png)",
        "[link](http://example.com) <img src=x onerror=alert(1)> <b>b</b> &amp;",
        "a`b ``c`` *em* _u_ **strong** ~~s~~ # h :red[x] $x^2$ \\ | t |",
        "1. not a list\n- nor this\n    nor code",
    ],
)
def test_md_text_shows_any_string_as_itself(text: str) -> None:
    from markdown_it import MarkdownIt

    shown = app_text.md_text(text)
    rendered = MarkdownIt("commonmark").render(shown)
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered and "<em>" not in rendered
    assert "<code>" not in rendered and "<ol>" not in rendered and "<ul>" not in rendered and "<h1>" not in rendered
    plain = re.sub(r"<[^>]+>", "", rendered)
    unescaped = html.unescape(plain).replace("\n", " ")
    assert " ".join(unescaped.split()) == " ".join(" ".join(line.strip() for line in text.splitlines()).split())


@pytest.mark.parametrize("text", ["a`b", "`x`", "``", "no ticks", "![x](http://h/p.png)"])
def test_md_code_holds_any_backticks(text: str) -> None:
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark").render(app_text.md_code(text))
    assert re.fullmatch(r"<p><code>(.*)</code></p>\n", rendered, re.DOTALL)
    assert html.unescape(re.sub(r"</?(p|code)>", "", rendered)).strip("\n") == text


def test_errors_leave_out_the_projects_folder() -> None:
    shown = app_text.error_markdown(
        "/srv/app/models/selected/model.keras cannot be loaded", "restore it; see /srv/app", "/srv/app"
    )
    assert "/srv/app" not in shown and "models\\/selected\\/model\\.keras cannot be loaded" in shown
