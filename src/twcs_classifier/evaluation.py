"""The test conditions every model is scored under, and the look at its mistakes.

- ``test``: the random, conversation-disjoint test split;
- ``test_unseen_brands``: conversations of companies never seen in training;
- ``test_masked``: the random test split with the marks of the author masked
  (:func:`twcs_classifier.text.mask`), so a model cannot read handles or sign-offs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import LABELS
from .layout import CONFUSION, PRECISION_RECALL, ROC, reliability_plot
from .metrics import THRESHOLD, classification_metrics, expected_calibration_error, reliability_points
from .models.base import TextClassifier
from .text import mask_many

CONDITIONS: dict[str, str] = {
    "test": "random split",
    "test_unseen_brands": "unseen brands",
    "test_masked": "masked text",
}
"""Metric keys of the test conditions, with their names in sentences."""

PLOTS: tuple[str, ...] = (ROC, PRECISION_RECALL, CONFUSION, *(reliability_plot(c) for c in CONDITIONS))
"""Every plot the train stage writes for a model (``plots/<model>/<plot>.json``)."""

ERRORS_PER_CONDITION = 25
"""How many of the most confident mistakes ``reports/errors_<model>.csv`` keeps per condition."""


@dataclass(frozen=True)
class EvalSet:
    """Texts to score, as the model will see them, with labels and tweet ids."""

    name: str
    texts: list[str]
    labels: np.ndarray
    tweet_ids: np.ndarray

    @classmethod
    def from_frame(cls, name: str, frame: pd.DataFrame, masked: bool = False) -> EvalSet:
        """From a split frame (text, label, tweet_id); ``masked`` masks the texts."""
        texts = frame["text"].tolist()
        return cls(name, mask_many(texts) if masked else texts, frame["label"].to_numpy(), frame["tweet_id"].to_numpy())


def eval_sets(validation: pd.DataFrame, test: pd.DataFrame, unseen_brands: pd.DataFrame) -> list[EvalSet]:
    """The validation split and the three test conditions (an empty unseen-brand split is left out)."""
    sets = [
        EvalSet.from_frame("validation", validation),
        EvalSet.from_frame("test", test),
        EvalSet.from_frame("test_masked", test, masked=True),
    ]
    if len(unseen_brands):
        sets.insert(2, EvalSet.from_frame("test_unseen_brands", unseen_brands))
    return sets


def score(model: TextClassifier, data: EvalSet) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics of ``model`` on ``data`` (calibrated probabilities, as served), plus the
    expected calibration error before calibration; and the inbound probabilities."""
    proba = model.probabilities(data.texts)
    p = proba.calibrated[:, 1]
    metrics = classification_metrics(data.labels, p)
    metrics["ece_uncalibrated"] = expected_calibration_error(data.labels, proba.uncalibrated[:, 1])
    return metrics, p


def most_confident_mistakes(data: EvalSet, p_inbound: np.ndarray, k: int = ERRORS_PER_CONDITION) -> pd.DataFrame:
    """The ``k`` wrong predictions made with the highest confidence, most confident first."""
    pred = (p_inbound >= THRESHOLD).astype(int)
    confidence = np.where(pred == 1, p_inbound, 1.0 - p_inbound)
    wrong = np.nonzero(pred != data.labels)[0]
    order = wrong[np.argsort(-confidence[wrong], kind="stable")][:k]
    return pd.DataFrame(
        {
            "condition": data.name,
            "tweet_id": data.tweet_ids[order],
            "text": [data.texts[i] for i in order],
            "truth": [LABELS[int(y)] for y in data.labels[order]],
            "predicted": [LABELS[int(y)] for y in pred[order]],
            "p_inbound": p_inbound[order],
            "confidence": confidence[order],
        }
    )


def reliability(data: EvalSet, p_inbound: np.ndarray) -> list[dict[str, float]]:
    """Reliability-diagram rows for one condition."""
    return reliability_points(data.labels, p_inbound)
