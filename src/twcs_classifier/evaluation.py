"""The test conditions every model is scored under, and everything scoring gives: the
metrics, the rows of each plot and the most confident mistakes.

- ``test``: the random, conversation-disjoint test split;
- ``test_unseen_brands``: conversations of companies never seen in training;
- ``test_masked``: the random test split with the marks of the author masked
  (:func:`twcs_classifier.text.mask`), so a model cannot read handles or sign-offs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import LABELS
from .layout import CONFUSION, PRECISION_RECALL, ROC, reliability_plot
from .metrics import (
    THRESHOLD,
    classification_metrics,
    confusion_rows,
    expected_calibration_error,
    pr_points,
    reliability_points,
    roc_points,
)
from .models.base import TextClassifier
from .text import mask_many

CONDITIONS: dict[str, str] = {
    "test": "random split",
    "test_unseen_brands": "unseen brands",
    "test_masked": "masked text",
}
"""Metric keys of the test conditions, with their names in sentences."""

TEST_PLOTS: dict[str, Callable[[np.ndarray, np.ndarray], list[dict[str, Any]]]] = {
    ROC: roc_points,
    PRECISION_RECALL: pr_points,
    CONFUSION: confusion_rows,
}
"""The plots of the random test split: rows from the labels and the inbound probabilities.
Every test condition also has its reliability diagram."""

PLOTS: tuple[str, ...] = (*TEST_PLOTS, *(reliability_plot(c) for c in CONDITIONS))
"""Every plot the train stage writes for a model (``plots/<model>/<plot>.json``)."""

HEADLINE: tuple[str, ...] = ("accuracy", "f1_macro", "roc_auc", "log_loss", "ece")
"""The metrics of each set that ``metrics/<model>.json`` keeps for ``dvc metrics show``, ``dvc
metrics diff`` and ``dvc exp show``; the rest (precision, recall, per class, confusion counts, n,
the calibration error before scaling) stays in the details file."""

PREDICTION_COLUMNS: tuple[str, ...] = ("set", "tweet_id", "label", "p_inbound")
"""The columns of ``reports/predictions/<model>.parquet``: one row per tweet of every scored
set (its name, the tweet, the true label, the served inbound probability)."""

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


@dataclass(frozen=True)
class ConditionResult:
    """Everything scoring a model on one evaluation set gives."""

    name: str
    metrics: dict[str, Any]
    """Metrics of the served (calibrated) probabilities, and ``ece_uncalibrated``."""
    plots: dict[str, list[dict[str, Any]]]
    """Rows by plot name (``plots/<model>/<plot>.json``); none for the validation split."""
    mistakes: pd.DataFrame | None
    """The most confident mistakes; ``None`` for the validation split."""
    predict_seconds: float
    """How long the model took to predict the set."""
    predictions: pd.DataFrame
    """Every tweet of the set with its label and inbound probability (:data:`PREDICTION_COLUMNS`)."""


def evaluate(model: TextClassifier, data: EvalSet) -> ConditionResult:
    """Score ``model`` on ``data``: metrics of the calibrated probabilities (as served) with
    the calibration error before scaling; for a test condition also its plots and mistakes."""
    started = time.perf_counter()
    proba = model.probabilities(data.texts)
    seconds = time.perf_counter() - started
    p = proba.calibrated[:, 1]
    metrics = classification_metrics(data.labels, p)
    metrics["ece_uncalibrated"] = expected_calibration_error(data.labels, proba.uncalibrated[:, 1])
    predictions = pd.DataFrame(
        {"set": data.name, "tweet_id": data.tweet_ids, "label": data.labels.astype("int8"), "p_inbound": p},
        columns=list(PREDICTION_COLUMNS),
    )
    if data.name not in CONDITIONS:
        return ConditionResult(data.name, metrics, {}, None, seconds, predictions)
    plots = {reliability_plot(data.name): reliability_points(data.labels, p)}
    if data.name == "test":
        plots.update({plot: rows(data.labels, p) for plot, rows in TEST_PLOTS.items()})
    return ConditionResult(data.name, metrics, plots, most_confident_mistakes(data, p), seconds, predictions)


@dataclass(frozen=True)
class Evaluation:
    """A model scored on the validation split and under every test condition."""

    results: list[ConditionResult]

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        """Metrics by set name (``validation``, then the condition keys)."""
        return {r.name: r.metrics for r in self.results}

    @property
    def plots(self) -> dict[str, list[dict[str, Any]]]:
        """Rows of every plot, by plot name."""
        return {plot: rows for r in self.results for plot, rows in r.plots.items()}

    @property
    def mistakes(self) -> pd.DataFrame:
        """The most confident mistakes of every test condition, one table."""
        return pd.concat([r.mistakes for r in self.results if r.mistakes is not None], ignore_index=True)

    @property
    def predictions(self) -> pd.DataFrame:
        """Every scored tweet of every set with its inbound probability, one table (the same
        tweets, in the same order, for every model trained on the same splits)."""
        return pd.concat([r.predictions for r in self.results], ignore_index=True)

    @property
    def timing(self) -> dict[str, float]:
        """Seconds to predict each set, as ``predict_<set>_seconds``."""
        return {f"predict_{r.name}_seconds": round(r.predict_seconds, 2) for r in self.results}


def evaluate_all(model: TextClassifier, sets: Sequence[EvalSet]) -> Evaluation:
    """:func:`evaluate` on every set (see :func:`eval_sets`)."""
    return Evaluation([evaluate(model, data) for data in sets])


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


def headline_metrics(details: Mapping[str, Any]) -> dict[str, Any]:
    """The headline of a model's details (``metrics/details/<model>.json``): the :data:`HEADLINE`
    metrics of the validation split and each test condition, and the epochs trained; numbers
    only (a metric that is undefined, such as ROC-AUC on one class, is left out).

    ``dvc metrics show`` sorts its columns by name, so ``test.accuracy`` (the random split)
    comes first and ``validation`` last."""
    out: dict[str, Any] = {}
    for name in (*CONDITIONS, "validation"):
        if name in details:
            out[name] = {k: details[name][k] for k in HEADLINE if isinstance(details[name].get(k), int | float)}
    epochs = (details.get("training") or {}).get("epochs_trained")
    if epochs is not None:
        out["training"] = {"epochs_trained": epochs}
    return out
