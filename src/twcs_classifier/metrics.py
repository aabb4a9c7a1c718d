"""Every metric of the project, computed once, from labels and probabilities.

The train stage, compare, the app and the tests all call these functions. Label 1
is inbound (customer query), 0 outbound (company reply); ``p_inbound`` is the
predicted probability of label 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm

from . import LABELS

THRESHOLD = 0.5
"""A tweet is called inbound when its inbound probability is at least this."""

ECE_BINS = 15
"""Equal-width confidence bins for the expected calibration error."""


def _check(y_true: np.ndarray, p_inbound: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(int).ravel()
    p = np.asarray(p_inbound, dtype=float).ravel()
    if y.shape != p.shape:
        raise ValueError(f"{len(y)} labels but {len(p)} probabilities")
    if len(y) == 0:
        raise ValueError("no examples to score")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (outbound) or 1 (inbound)")
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1]")
    return y, p


def classification_metrics(y_true: np.ndarray, p_inbound: np.ndarray) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 (macro and per class), ROC-AUC, average
    precision, log loss, confusion-matrix counts and n.

    ROC-AUC and average precision are ``None`` when only one class is present.
    """
    y, p = _check(y_true, p_inbound)
    pred = (p >= THRESHOLD).astype(int)
    prec, rec, f1, support = skm.precision_recall_fscore_support(y, pred, labels=[0, 1], zero_division=0)
    tn, fp, fn, tp = skm.confusion_matrix(y, pred, labels=[0, 1]).ravel()
    both = len(np.unique(y)) == 2
    out: dict[str, Any] = {
        "n": int(len(y)),
        "accuracy": float(skm.accuracy_score(y, pred)),
        "precision_macro": float(np.mean(prec)),
        "recall_macro": float(np.mean(rec)),
        "f1_macro": float(np.mean(f1)),
        "roc_auc": float(skm.roc_auc_score(y, p)) if both else None,
        "average_precision": float(skm.average_precision_score(y, p)) if both else None,
        "log_loss": float(skm.log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "confusion": {"tn": int(tn), "fp": int(fp), "fn": int(fn), "tp": int(tp)},
        "per_class": {
            LABELS[k]: {
                "precision": float(prec[k]),
                "recall": float(rec[k]),
                "f1": float(f1[k]),
                "support": int(support[k]),
            }
            for k in (0, 1)
        },
    }
    return out


def _confidence_bins(y: np.ndarray, p: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per bin of confidence (probability of the predicted class): count, mean
    confidence and accuracy. Bins are (k/n, (k+1)/n]; confidence 0.5 goes to the
    lowest bin that holds it."""
    pred = (p >= THRESHOLD).astype(int)
    conf = np.where(pred == 1, p, 1.0 - p)
    correct = (pred == y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    idx = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(idx, weights=conf, minlength=n_bins) / count
        accuracy = np.bincount(idx, weights=correct, minlength=n_bins) / count
    return count, mean_conf, accuracy


def expected_calibration_error(y_true: np.ndarray, p_inbound: np.ndarray, n_bins: int = ECE_BINS) -> float:
    """Expected calibration error: the count-weighted mean, over ``n_bins`` equal-width
    bins of confidence, of |accuracy - mean confidence| (Guo et al., 2017)."""
    y, p = _check(y_true, p_inbound)
    count, mean_conf, accuracy = _confidence_bins(y, p, n_bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(accuracy[used] - mean_conf[used])) / count.sum())


def reliability_points(y_true: np.ndarray, p_inbound: np.ndarray, n_bins: int = ECE_BINS) -> list[dict[str, float]]:
    """The reliability diagram: for each non-empty confidence bin, its mean confidence,
    accuracy and count."""
    y, p = _check(y_true, p_inbound)
    count, mean_conf, accuracy = _confidence_bins(y, p, n_bins)
    return [
        {"confidence": float(mean_conf[k]), "accuracy": float(accuracy[k]), "count": int(count[k])}
        for k in range(n_bins)
        if count[k] > 0
    ]


def thin_indices(n: int, max_points: int) -> np.ndarray:
    """At most ``max_points`` evenly spaced indices of ``n`` items, always keeping the first
    and the last (a thinned curve keeps its ends and its shape)."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def roc_points(y_true: np.ndarray, p_inbound: np.ndarray, max_points: int = 200) -> list[dict[str, float]]:
    """The ROC curve as rows of fpr, tpr, threshold (at most ``max_points``)."""
    y, p = _check(y_true, p_inbound)
    fpr, tpr, thr = skm.roc_curve(y, p)
    keep = thin_indices(len(fpr), max_points)
    return [{"fpr": float(fpr[i]), "tpr": float(tpr[i]), "threshold": float(min(thr[i], 1.0))} for i in keep]


def pr_points(y_true: np.ndarray, p_inbound: np.ndarray, max_points: int = 200) -> list[dict[str, float]]:
    """The precision-recall curve (inbound as the positive class) as rows of recall, precision."""
    y, p = _check(y_true, p_inbound)
    precision, recall, _ = skm.precision_recall_curve(y, p)
    keep = thin_indices(len(recall), max_points)
    return [{"recall": float(recall[i]), "precision": float(precision[i])} for i in keep]


def confusion_rows(y_true: np.ndarray, p_inbound: np.ndarray) -> list[dict[str, str]]:
    """One row per example with its actual and predicted class names (DVC's confusion template)."""
    y, p = _check(y_true, p_inbound)
    pred = (p >= THRESHOLD).astype(int)
    return [{"actual": LABELS[a], "predicted": LABELS[b]} for a, b in zip(y.tolist(), pred.tolist())]
