"""Evaluation gives everything a condition produces: metrics, plot rows by file, mistakes."""

import numpy as np
import pandas as pd
from test_models import Keyword

from twcs_classifier.evaluation import (
    CONDITIONS,
    HEADLINE,
    PLOTS,
    eval_sets,
    evaluate,
    evaluate_all,
    headline_metrics,
    most_confident_mistakes,
)
from twcs_classifier.layout import CONFUSION, ROC, reliability_plot
from twcs_classifier.metrics import classification_metrics, confusion_rows, expected_calibration_error, roc_points
from twcs_classifier.models import LabelledTexts

TEXTS = ["@Delta help me", "@42 happy to help ^JK", "thanks", "ok", "help please @AmazonHelp", "bye", "help", "DM us"]
LABELS = np.array([1, 0, 0, 0, 1, 1, 1, 0])
FRAME = pd.DataFrame({"text": TEXTS, "label": LABELS, "tweet_id": np.arange(len(TEXTS))})


def model() -> Keyword:
    return Keyword().fit(LabelledTexts(TEXTS, LABELS), LabelledTexts(TEXTS, LABELS))


def test_every_set_gives_its_metrics_and_every_condition_its_plots_and_mistakes() -> None:
    evaluation = evaluate_all(model(), eval_sets(FRAME, FRAME, FRAME))
    assert list(evaluation.metrics) == ["validation", *CONDITIONS]
    assert sorted(evaluation.plots) == sorted(PLOTS)
    assert list(evaluation.timing) == [f"predict_{name}_seconds" for name in ["validation", *CONDITIONS]]
    validation = evaluation.results[0]
    assert validation.plots == {} and validation.mistakes is None
    assert list(evaluation.mistakes["condition"].unique()) == list(CONDITIONS)


def test_a_condition_is_scored_on_the_served_probabilities_in_one_pass() -> None:
    m = model()
    test = eval_sets(FRAME, FRAME, FRAME[:0])[1]
    assert [s.name for s in eval_sets(FRAME, FRAME, FRAME[:0])] == ["validation", "test", "test_masked"]
    m.passes = 0
    result = evaluate(m, test)
    assert m.passes == 1
    proba = m.probabilities(test.texts)
    p = proba.calibrated[:, 1]
    assert result.metrics == {
        **classification_metrics(LABELS, p),
        "ece_uncalibrated": expected_calibration_error(LABELS, proba.uncalibrated[:, 1]),
    }
    assert result.plots[ROC] == roc_points(LABELS, p) and result.plots[CONFUSION] == confusion_rows(LABELS, p)
    assert reliability_plot("test") in result.plots
    pd.testing.assert_frame_equal(result.mistakes, most_confident_mistakes(test, p))


def test_the_headline_keeps_the_main_numbers_of_each_set_and_nothing_else() -> None:
    split = {
        "n": 10,
        "accuracy": 0.9,
        "f1_macro": 0.89,
        "roc_auc": None,  # one class only: undefined, so left out
        "log_loss": 0.3,
        "ece": 0.02,
        "ece_uncalibrated": 0.05,
        "confusion": {"tn": 4, "fp": 1, "fn": 0, "tp": 5},
    }
    details = {
        "validation": split,
        "test": {**split, "roc_auc": 0.97},
        "calibration": {"temperature": 1.3},
        "training": {"epochs_trained": 7},
        "n_train": 100,
    }
    head = headline_metrics(details)
    assert list(head) == ["test", "validation", "training"]
    assert head["test"] == {"accuracy": 0.9, "f1_macro": 0.89, "roc_auc": 0.97, "log_loss": 0.3, "ece": 0.02}
    assert set(head["validation"]) == set(HEADLINE) - {"roc_auc"}
    assert head["training"] == {"epochs_trained": 7}
    flat = [v for part in head.values() for v in part.values()]
    assert all(isinstance(v, int | float) and not isinstance(v, bool) for v in flat)
    assert "training" not in headline_metrics({"test": split})  # logreg trains no epochs
