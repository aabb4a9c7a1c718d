"""Metrics on hand-computed cases."""

import math

import numpy as np
import pytest

from twcs_classifier.metrics import classification_metrics, confusion_rows, pr_points, roc_points


def test_metrics_on_a_hand_computed_case() -> None:
    y = np.array([1, 1, 0, 0])
    p = np.array([0.9, 0.4, 0.2, 0.6])  # predictions 1, 0, 0, 1: one of each kind
    m = classification_metrics(y, p)
    assert m["n"] == 4
    assert m["accuracy"] == 0.5
    assert m["confusion"] == {"tn": 1, "fp": 1, "fn": 1, "tp": 1}
    assert m["per_class"]["inbound"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["f1_macro"] == 0.5
    # ROC-AUC: of the 4 (pos, neg) pairs, 3 are ordered right (0.9>0.2, 0.9>0.6, 0.4>0.2).
    assert m["roc_auc"] == pytest.approx(0.75)
    expected_loss = -np.mean([math.log(0.9), math.log(0.4), math.log(0.8), math.log(0.4)])
    assert m["log_loss"] == pytest.approx(expected_loss)


def test_perfect_predictions() -> None:
    m = classification_metrics([0, 1], [0.0, 1.0])
    assert m["accuracy"] == 1.0 and m["roc_auc"] == 1.0 and m["average_precision"] == 1.0
    assert m["log_loss"] < 1e-6


def test_one_class_only_has_no_auc() -> None:
    m = classification_metrics([1, 1], [0.7, 0.8])
    assert m["roc_auc"] is None and m["average_precision"] is None
    assert m["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [([0, 1], [0.5], "2 labels but 1"), ([0, 2], [0.1, 0.2], "labels must be"), ([0, 1], [0.1, 1.5], "in \\[0, 1\\]")],
)
def test_bad_inputs_are_named(y, p, message) -> None:
    with pytest.raises(ValueError, match=message):
        classification_metrics(y, p)


def test_curves_and_confusion_rows() -> None:
    y, p = np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 0.9])
    roc = roc_points(y, p)
    assert roc[0]["fpr"] == 0.0 and roc[-1]["tpr"] == 1.0
    pr = pr_points(y, p)
    assert {"recall", "precision"} <= set(pr[0])
    rows = confusion_rows(y, p)
    assert rows[1] == {"actual": "outbound", "predicted": "inbound"}
    assert len(roc_points(np.r_[np.zeros(500), np.ones(500)], np.linspace(0, 1, 1000), max_points=50)) <= 50
