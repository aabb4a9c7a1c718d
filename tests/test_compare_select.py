"""compare and select: ranking, the plain verdict, the model card."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from twcs_classifier.compare import compare, rank_models, verdict
from twcs_classifier.errors import PipelineError
from twcs_classifier.params import SELECT_BEST as BEST
from twcs_classifier.selection import Selection, chosen_model, fingerprint, install_model, model_card


def m(f1: float, acc: float | None = None) -> dict:
    wrong = round(100 * (1 - (acc or f1)))
    split = {
        "f1_macro": f1,
        "accuracy": acc or f1,
        "roc_auc": 0.99,
        "average_precision": 0.99,
        "log_loss": 0.1,
        "n": 100,
        "confusion": {"tn": 50, "fp": 0, "fn": wrong, "tp": 50 - wrong},
    }
    return {"validation": dict(split), "test": dict(split), "timing": {"train_seconds": 1.5}, "params": {"x": 1}}


METRICS = {"logreg": m(0.99), "simple_rnn": m(0.95), "lstm": m(0.96), "gru": m(0.97)}
GRU = Selection("gru", "named", "select.model names gru")


def test_ranking_is_by_test_metric_then_name() -> None:
    assert rank_models(METRICS) == ["logreg", "gru", "lstm", "simple_rnn"]
    assert rank_models({"b": m(0.9), "a": m(0.9)}) == ["a", "b"]


def test_verdict_says_plainly_when_the_selected_model_is_beaten() -> None:
    text = verdict(METRICS, "gru")
    assert text.startswith("Warning: random split: the selected model, gru") and "logreg (0.9900)" in text
    assert "2nd of 4" in text and "lstm" not in text and "one standard error: ±0.0099" in text
    assert verdict(METRICS, "logreg") == "Random split: the selected model, logreg, wins (f1_macro 0.9900)."


def test_compare_outputs() -> None:
    summary, table = compare(METRICS, GRU)
    assert summary["best"] == "logreg" and not summary["selected_is_best"]
    assert summary["models"]["gru"]["rank"] == 2
    assert "| 2 | **gru** | 0.9700 | 0.9700 |" in table
    assert summary["verdict"] in table


def test_compare_names_the_winner_of_each_condition() -> None:
    metrics = {name: dict(m) for name, m in METRICS.items()}
    for name, (unseen, masked) in {
        "logreg": (0.80, 0.90),
        "gru": (0.92, 0.90),
        "lstm": (0.90, 0.95),
        "simple_rnn": (0.85, 0.85),
    }.items():
        metrics[name]["test_unseen_brands"] = {**metrics[name]["test"], "f1_macro": unseen}
        metrics[name]["test_masked"] = {**metrics[name]["test"], "f1_macro": masked}
    summary, table = compare(metrics, GRU)
    assert summary["winners"] == {"test": "logreg", "test_unseen_brands": "gru", "test_masked": "lstm"}
    assert summary["verdicts"]["test_unseen_brands"].startswith("Unseen brands: the selected model, gru, wins")
    assert summary["verdicts"]["test_masked"].startswith("Warning: masked text: the selected model, gru")
    assert all(sentence in table for sentence in summary["verdicts"].values())


def test_unknown_selected_model() -> None:
    with pytest.raises(ValueError, match="has no metrics"):
        verdict(METRICS, "bert")


def test_model_card_holds_what_a_user_needs() -> None:
    summary, _ = compare(METRICS, GRU)
    report = {"actual": {"train": {"n": 10}}, "seed": 42}
    card = model_card("gru", METRICS["gru"], summary, report, "abc", now=datetime(2026, 1, 2, tzinfo=UTC))
    assert card["model"] == "gru" and card["metrics"]["test"]["f1_macro"] == 0.97
    assert card["comparison"]["selected_is_best"] is False and "logreg" in card["comparison"]["verdict"]
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


def test_a_gap_within_one_standard_error_is_called_a_tie_not_a_loss() -> None:
    metrics = {"logreg": m(0.985), "gru": m(0.983)}
    for split in metrics.values():
        split["test"]["n"] = 1900  # one standard error at 0.985: 0.0028
    text = verdict(metrics, "gru")
    assert text == (
        "Random split: the selected model, gru (f1_macro 0.9830, 2nd of 2), is within one standard error "
        "(±0.0028) of logreg (0.9850): a tie at this test size."
    )
    metrics["gru"]["test"]["f1_macro"] = 0.981
    assert verdict(metrics, "gru").startswith("Warning: random split")


def test_select_best_takes_the_best_validation_f1_never_the_test() -> None:
    validation_f1 = {"logreg": 0.97, "simple_rnn": 0.95, "lstm": 0.98, "gru": 0.98}
    # The test figures rank logreg first; the rule does not look at them.
    metrics = {n: {**m(f1), "test": m(1.0 if n == "logreg" else 0.6)["test"]} for n, f1 in validation_f1.items()}
    choice = chosen_model(BEST, metrics)
    assert choice.model == "lstm" and choice.rule == BEST  # ties: the first in compare.models
    assert "best validation macro-F1 (0.9800" in choice.reason and "logreg 0.9700" in choice.reason
    summary, table = compare(metrics, choice)
    assert summary["selected"] == "lstm" and summary["selection"]["rule"] == BEST and "**lstm**" in table
    assert chosen_model("gru", metrics) == Selection("gru", "named", "select.model names gru")
    with pytest.raises(PipelineError, match=r"'bert', which was not trained[\s\S]*'best' or to one of: logreg"):
        chosen_model("bert", metrics)


def test_select_best_passes_over_a_model_unfit_to_serve() -> None:
    metrics = {"logreg": m(0.97), "gru": {**m(0.99), "training": {"epochs_trained": 0}}}
    choice = chosen_model(BEST, metrics)
    assert choice.model == "logreg" and "gru" not in choice.reason
    metrics["logreg"]["training"] = {"epochs_trained": 0}
    with pytest.raises(PipelineError, match="no compared model is fit to serve"):
        chosen_model(BEST, metrics)


def test_the_model_card_says_which_rule_chose_the_model() -> None:
    summary, _ = compare(METRICS, chosen_model(BEST, METRICS))
    card = model_card("logreg", METRICS["logreg"], summary, {"actual": {}, "seed": 1}, "abc")
    assert card["selection"]["rule"] == BEST and card["selection"]["model"] == "logreg"
    assert "best validation macro-F1" in card["selection"]["reason"]
