"""compare and select: the paired tests, the verdicts they give, select.model best, the model card.

The per-tweet predictions are made up: for each model and set, which tweets it gets right."""

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest

from twcs_classifier.compare import compare, condition_verdict, paired_tests_by_set, rank_models
from twcs_classifier.errors import PipelineError
from twcs_classifier.metrics import classification_metrics
from twcs_classifier.paired import correct_by_set, holm, mcnemar_p, pair_tests
from twcs_classifier.params import SELECT_BEST as BEST
from twcs_classifier.selection import Selection, chosen_model, fingerprint, install_model, model_card

SETS = ("validation", "test", "test_unseen_brands", "test_masked")
N = 2500
"""Tweets per set: a lead of one tweet is 0.0004, of four 0.0016."""
LABELS = np.tile([0, 1], N // 2)


def wrong(*spans: tuple[int, int], n: int = N) -> np.ndarray:
    """Right (True) on every tweet but those in the ``[start, stop)`` spans."""
    out = np.ones(n, dtype=bool)
    for start, stop in spans:
        out[start:stop] = False
    return out


def run(correct: dict[str, dict[str, np.ndarray]]) -> tuple[dict, dict]:
    """The details and the predictions frames a train stage would write for made-up correctness."""
    metrics, predictions = {}, {}
    for name, by_set in correct.items():
        parts, details = [], {}
        for set_name, ok in by_set.items():
            p = np.where(ok, np.where(LABELS == 1, 0.9, 0.1), np.where(LABELS == 1, 0.1, 0.9))
            details[set_name] = classification_metrics(LABELS, p)
            parts.append(pd.DataFrame({"set": set_name, "tweet_id": np.arange(N), "label": LABELS, "p_inbound": p}))
        metrics[name] = {**details, "calibration": {"temperature": 1.0}, "n_train": 80}
        predictions[name] = pd.concat(parts, ignore_index=True)
    return metrics, predictions


def paired(metrics: dict, predictions: dict, rank_by: str = "f1_macro", alpha: float = 0.05) -> dict:
    return paired_tests_by_set(metrics, correct_by_set(predictions), rank_by, alpha)


# gru, the selected model, is wrong on tweets 0-49 of every set (accuracy 0.98). Random split:
# logreg 0.0016 ahead (right on 14 tweets gru gets wrong, wrong on 10 gru gets right); unseen
# brands: lstm 0.0004 ahead (11 vs 10) and logreg 0.0032 ahead (21 vs 13, the figures);
# masked text: simple_rnn far ahead (50 vs 20).
GRU = {s: wrong((0, 50)) for s in SETS}
CORRECT = {
    "logreg": {**GRU, "test": wrong((0, 36), (50, 60)), "test_unseen_brands": wrong((0, 29), (50, 63))},
    "simple_rnn": {**{s: wrong((0, 45), (50, 58)) for s in SETS}, "test_masked": wrong((50, 70))},
    "lstm": {**{s: wrong((0, 48), (50, 52)) for s in SETS}, "test_unseen_brands": wrong((0, 39), (50, 60))},
    "gru": GRU,
}
SELECTED = Selection("gru", "named", "select.model in params.yaml names gru")


def test_mcnemar_and_holm_give_the_textbook_figures() -> None:
    assert mcnemar_p(21, 13) == pytest.approx(binomtest(21, 34, 0.5).pvalue) == pytest.approx(0.2295, abs=1e-4)
    assert mcnemar_p(0, 0) == 1.0 and mcnemar_p(1, 0) == 1.0 and mcnemar_p(4, 0) == pytest.approx(0.125)
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])  # 4p, 3p, max(2p, before), p
    assert holm([0.9, 0.02]) == pytest.approx([0.9, 0.04]) and holm([0.9, 0.6]) == [1.0, 1.0]


def test_leads_of_0_0004_and_0_0016_are_ties_and_no_verdict_contradicts_another() -> None:
    metrics, predictions = run(CORRECT)
    f1 = {name: {s: metrics[name][s]["f1_macro"] for s in SETS} for name in metrics}
    assert f1["logreg"]["test"] - f1["gru"]["test"] == pytest.approx(0.0016, abs=1e-5)
    assert f1["lstm"]["test_unseen_brands"] - f1["gru"]["test_unseen_brands"] == pytest.approx(0.0004, abs=1e-5)
    summary, report = compare(metrics, SELECTED, paired(metrics, predictions))
    verdicts = summary["verdicts"]

    assert verdicts["test"].startswith("Random split: the selected model, gru (f1_macro 0.9800, 2nd of 4), is not")
    assert "a tie with logreg (0.9816; 14 vs 10 tweets, p = 0.541" in verdicts["test"]
    unseen = verdicts["test_unseen_brands"]
    assert unseen.startswith("Unseen brands: the selected model, gru (f1_macro 0.9800, 3rd of 4), is not significantly")
    assert "logreg (0.9832; 21 vs 13 tweets, p = 0.229" in unseen and "lstm (0.9804; 11 vs 10 tweets" in unseen
    masked = verdicts["test_masked"]
    assert masked.startswith("Warning: masked text: the selected model, gru (f1_macro 0.9800, 2nd of 4), is ")
    assert "significantly worse than simple_rnn (0.9920; 50 vs 20 tweets" in masked and "logreg" in masked
    assert summary["standing"]["test_masked"]["better"] == ["simple_rnn"]
    assert summary["verdict"].startswith("Warning: gru is significantly worse than simple_rnn on masked text (")
    assert summary["not_significantly_worse"] is False

    # No verdict contradicts the table or another verdict: a model is named as better exactly when
    # its pair says so, it is always ahead on the figure, and a tie is never worded as a loss.
    for condition, sentence in verdicts.items():
        standing = summary["standing"][condition]
        pairs = {frozenset((t["a"], t["b"])): t for t in summary["pairs"][condition]}
        for other in ("logreg", "simple_rnn", "lstm"):
            t = pairs[frozenset(("gru", other))]
            assert (other in standing["better"]) == (t["better"] == other)
            assert (other in standing["worse"]) == (t["better"] == "gru")
            if other in standing["better"]:
                assert f1[other][condition] > f1["gru"][condition] and t["p_adjusted"] < 0.05
        assert sentence.startswith("Warning") == bool(standing["better"])
        assert ("is significantly worse than" in sentence) == bool(standing["better"])
        assert ("is not significantly worse than any model" in sentence) == (not standing["better"])
        assert sentence in report
    assert summary["verdict"] in report and "| masked text | simple_rnn | gru | 50 | 20 |" in report


def test_a_significant_lead_counts_only_when_the_figure_agrees() -> None:
    """A model that gets more of the split tweets right but is behind on the ranked metric is
    not called better (the verdict never contradicts the table)."""
    ok = {"a": wrong(n=200), "b": wrong((0, 40), n=200)}
    assert pair_tests(ok, {"a": 1.0, "b": 0.8}, "f1_macro", 0.05)[0].better == "a"
    assert pair_tests(ok, {"a": 0.8, "b": 0.9}, "f1_macro", 0.05)[0].better is None
    assert pair_tests(ok, {"a": 1.0, "b": 0.8}, "f1_macro", 1e-20)[0].better is None


def test_the_verdict_lists_models_better_tied_and_worse() -> None:
    metrics, predictions = run(CORRECT)
    tests = paired(metrics, predictions)
    verdict = condition_verdict("test_masked", "simple_rnn", tests["test_masked"], 0.05)
    assert verdict.better == [] and verdict.rank == 1 and verdict.tied == []
    assert verdict.sentence.startswith("Masked text: the selected model, simple_rnn (f1_macro 0.9920, 1st of 4), is")
    assert "significantly better than gru (0.9800; 20 vs 50 tweets" in verdict.sentence


def test_models_scored_on_other_tweets_are_refused() -> None:
    metrics, predictions = run({"a": {"test": wrong((0, 5))}, "b": {"test": wrong((0, 6))}})
    predictions["b"].loc[0, "tweet_id"] = 99999
    with pytest.raises(PipelineError, match="b and a were not scored on the same tweets of the test set"):
        correct_by_set(predictions)


def test_ranking_is_by_test_metric_then_name() -> None:
    metrics, _ = run(CORRECT)
    assert rank_models(metrics) == ["logreg", "gru", "lstm", "simple_rnn"]  # gru and lstm: 50 wrong each
    assert rank_models(metrics, split="test_masked") == ["simple_rnn", "gru", "logreg", "lstm"]


def test_select_best_serves_the_simplest_model_no_other_is_significantly_better_than_on_validation() -> None:
    correct = {name: dict(by_set) for name, by_set in CORRECT.items()}
    # The test figures do not count, only the validation split's, where gru leads logreg by one tweet
    # and simple_rnn trails: all tie, so the simplest model (the first of compare.models) is served.
    correct["gru"]["validation"] = wrong((0, 49))
    metrics, predictions = run(correct)
    tests = paired(metrics, predictions)
    choice = chosen_model(BEST, metrics, tests["validation"])
    assert choice.model == "logreg" and choice.rule == BEST
    assert "logreg is the first model in compare.models (simplest first)" in choice.reason
    assert "gru 0.9804 (a tie)" in choice.reason and "passed over" not in choice.reason

    # gru and simple_rnn now right on every tweet logreg and lstm get wrong: both significantly better.
    correct["gru"]["validation"] = wrong((100, 105))
    correct["simple_rnn"]["validation"] = wrong((100, 106))
    metrics, predictions = run(correct)
    tests = paired(metrics, predictions)
    choice = chosen_model(BEST, metrics, tests["validation"])
    assert choice.model == "simple_rnn"  # the first that no model is significantly better than
    assert "passed over: logreg (significantly worse than simple_rnn, gru)" in choice.reason
    assert "logreg 0.9800 (significantly worse)" in choice.reason and "gru 0.9980 (a tie)" in choice.reason
    summary, report = compare(metrics, choice, tests)
    assert summary["selected"] == "simple_rnn" and summary["selection"]["rule"] == BEST and "**simple_rnn**" in report
    assert chosen_model("gru", metrics, tests["validation"]).reason.startswith("select.model in params.yaml names gru")
    with pytest.raises(PipelineError, match=r"'bert', which was not trained[\s\S]*'best' or to one of: logreg"):
        chosen_model("bert", metrics, tests["validation"])


def test_select_best_passes_over_a_model_unfit_to_serve() -> None:
    metrics, predictions = run({"logreg": {"validation": wrong((0, 50))}, "gru": {"validation": wrong()}})
    metrics["gru"]["training"] = {"epochs_trained": 0}
    tests = paired(metrics, predictions)
    choice = chosen_model(BEST, metrics, tests["validation"])
    assert choice.model == "logreg" and "gru" not in choice.reason
    metrics["logreg"]["training"] = {"epochs_trained": 0}
    with pytest.raises(PipelineError, match="no compared model is fit to serve"):
        chosen_model(BEST, metrics, tests["validation"])


META = {"kind": "recurrent", "params": {"cell": "gru", "units": 64, "seed": 42, "temperature": 1.2}}
"""A saved model's model.json."""


def test_model_card_says_why_the_model_was_chosen_and_the_verdicts() -> None:
    metrics, predictions = run(CORRECT)
    summary, _ = compare(metrics, SELECTED, paired(metrics, predictions))
    report = {"actual": {"train": {"n": 10}}, "seed": 42}
    card = model_card("gru", META, metrics["gru"], summary, report, "abc", now=datetime(2026, 1, 2, tzinfo=UTC))
    assert card["model"] == "gru" and card["metrics"]["test"]["f1_macro"] == pytest.approx(0.98)
    assert card["params"] == {"kind": "recurrent", "cell": "gru", "units": 64, "seed": 42, "temperature": 1.2}
    assert card["calibration"] == {"temperature": 1.0} and card["training"]["n_train"] == 80
    assert "timing" not in card  # select does not depend on the timings, which change on every run
    assert card["selection"]["reason"] == "select.model in params.yaml names gru"
    comparison = card["comparison"]
    assert comparison["verdict"] == summary["verdict"] and comparison["verdicts"] == summary["verdicts"]
    assert comparison["not_significantly_worse"] is False and comparison["paired_test"]["alpha"] == 0.05
    assert card["splits"] == {"train": {"n": 10}} and card["data_fingerprint"]["sha256_of_split_files"] == "abc"
    assert card["created"] == "2026-01-02T00:00:00+00:00"
    assert {"python", "numpy", "scikit-learn"} <= set(card["libraries"])


def test_fingerprint_changes_with_content_not_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.parquet", tmp_path / "b.parquet"
    a.write_bytes(b"1")
    b.write_bytes(b"2")
    first = fingerprint([a, b])
    assert fingerprint([b, a]) == first
    b.write_bytes(b"3")
    assert fingerprint([a, b]) != first


def test_install_model_replaces_the_target(tmp_path: Path) -> None:
    src, dst = tmp_path / "gru", tmp_path / "selected"
    src.mkdir()
    (src / "model.json").write_text("{}")
    dst.mkdir()
    (dst / "stale.txt").write_text("old")
    install_model(src, dst)
    assert sorted(p.name for p in dst.iterdir()) == ["model.json"]
    with pytest.raises(PipelineError, match="no model directory"):
        install_model(tmp_path / "missing", dst)
    assert sorted(p.name for p in dst.iterdir()) == ["model.json"]  # a failed install keeps the old one
    assert oct(dst.stat().st_mode & 0o777) != oct(0o700)  # a normal folder's mode, not mkdtemp's
    assert not list(tmp_path.glob(".selected.*"))  # no temporary folder left behind
