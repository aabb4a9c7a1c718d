"""Paired tests: does one model get more tweets right than another, on the same tweets?

Every model is scored on the same tweets of each set (the validation split and each test
condition), so two models are compared tweet by tweet, never by their figures alone: only the
tweets exactly one of the two gets right say anything about which is better. The test is
**McNemar's, exact**: under "the two are as good", each such tweet is equally likely to favour
either model, so the count favouring one is binomial(n discordant, 1/2); the p-value is the
two-sided binomial test's (:func:`scipy.stats.binomtest`).

**Multiple comparisons.** A set with ``k`` models has ``k (k - 1) / 2`` pairs, each a chance
of a false "better". Their p-values are adjusted with **Holm's method** over the pairs of one
set (it holds the chance of any false "better" in a set at ``alpha``, and is uniformly more
powerful than Bonferroni). Each set is its own question and is adjusted on its own.

**Significantly better** means: the Holm-adjusted p-value is below ``alpha`` *and* the model
gets more of the discordant tweets right *and* it is ahead on the ranked metric on these
tweets. Anything else is a tie. The last condition keeps a verdict from contradicting the
table: a model behind on the ranked metric is never called better.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from .errors import PipelineError
from .metrics import THRESHOLD

METHOD = "exact McNemar test (two-sided binomial test on the tweets exactly one model of a pair gets right)"
CORRECTION = "Holm"


def mcnemar_p(a_only: int, b_only: int) -> float:
    """The exact McNemar p-value (two-sided) of ``a_only`` tweets only model A gets right
    against ``b_only`` only B gets right; 1.0 when no tweet tells them apart."""
    n = int(a_only) + int(b_only)
    return 1.0 if n == 0 else float(binomtest(int(a_only), n, 0.5).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment of ``p_values`` (same order back): the ``i``-th smallest
    is multiplied by ``m - i`` (``i`` from 0), kept at least as large as the ones before it,
    and capped at 1. Reject where the adjusted value is below ``alpha``."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(p_values[i])))
        adjusted[i] = running
    return adjusted


@dataclass(frozen=True)
class PairTest:
    """Models ``a`` and ``b`` on the same ``n`` tweets of one set."""

    a: str
    b: str
    n: int
    a_only: int
    """Tweets ``a`` gets right and ``b`` gets wrong."""
    b_only: int
    """Tweets ``b`` gets right and ``a`` gets wrong."""
    p_value: float
    """Exact McNemar, two-sided, before adjustment."""
    p_adjusted: float
    """Holm-adjusted over the pairs of the set."""
    metric: str
    a_value: float
    b_value: float
    """The ranked metric of each model on these tweets."""
    better: str | None
    """The model significantly better than the other (see the module), or ``None``: a tie."""

    def other(self, name: str) -> str:
        """The model of the pair that is not ``name``."""
        return self.b if name == self.a else self.a

    def only(self, name: str) -> int:
        """Tweets ``name`` gets right and the other model gets wrong."""
        return self.a_only if name == self.a else self.b_only

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return asdict(self)


def pair_tests(
    correct: Mapping[str, np.ndarray], values: Mapping[str, float], metric: str, alpha: float
) -> list[PairTest]:
    """Every pair of the models in ``correct`` (each one's right/wrong on the same tweets, in
    the same order), in that order, tested and Holm-adjusted together; ``values`` is each
    model's ``metric`` on these tweets."""
    names = list(correct)
    lengths = {len(correct[n]) for n in names}
    if len(lengths) > 1:
        raise ValueError(f"the models were scored on different numbers of tweets: {sorted(lengths)}")
    raw = []
    for a, b in combinations(names, 2):
        right_a, right_b = np.asarray(correct[a], dtype=bool), np.asarray(correct[b], dtype=bool)
        a_only, b_only = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
        raw.append((a, b, a_only, b_only, mcnemar_p(a_only, b_only)))
    adjusted = holm([r[4] for r in raw])
    tests = []
    for (a, b, a_only, b_only, p), p_adj in zip(raw, adjusted):
        va, vb = float(values[a]), float(values[b])
        better = None
        if p_adj < alpha:
            if a_only > b_only and va > vb:
                better = a
            elif b_only > a_only and vb > va:
                better = b
        n = len(correct[a])
        tests.append(PairTest(a, b, n, a_only, b_only, p, p_adj, metric, va, vb, better))
    return tests


def significantly_better_than(name: str, tests: Sequence[PairTest]) -> list[str]:
    """The models of ``tests`` significantly better than ``name``."""
    return [t.other(name) for t in tests if name in (t.a, t.b) and t.better == t.other(name)]


def significantly_worse_than(name: str, tests: Sequence[PairTest]) -> list[str]:
    """The models of ``tests`` that ``name`` is significantly better than."""
    return [t.other(name) for t in tests if t.better == name]


def pair_of(name: str, other: str, tests: Sequence[PairTest]) -> PairTest:
    """The test of the pair ``name``, ``other``."""
    return next(t for t in tests if {t.a, t.b} == {name, other})


# -- per-tweet predictions -------------------------------------------------------------------------
def correct_by_set(predictions: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, np.ndarray]]:
    """For each scored set, each model's right (True) or wrong on every tweet, from the
    models' ``reports/predictions/<model>.parquet``; a model scored on other tweets (or other
    labels) than the first is a :class:`PipelineError`."""
    names = list(predictions)
    if not names:
        return {}
    first = names[0]
    out: dict[str, dict[str, np.ndarray]] = {}
    reference = predictions[first]
    for set_name in pd.unique(reference["set"]):
        ref = reference[reference["set"] == set_name]
        out[str(set_name)] = {}
        for name in names:
            rows = predictions[name][predictions[name]["set"] == set_name]
            same = len(rows) == len(ref) and np.array_equal(rows["tweet_id"].to_numpy(), ref["tweet_id"].to_numpy())
            if not same or not np.array_equal(rows["label"].to_numpy(), ref["label"].to_numpy()):
                raise PipelineError(
                    f"{name} and {first} were not scored on the same tweets of the {set_name} set "
                    "(their predictions files differ in tweets or labels)",
                    f"rebuild both on the same splits: `dvc repro train@{name} train@{first}`",
                )
            predicted = (rows["p_inbound"].to_numpy(dtype=float) >= THRESHOLD).astype(int)
            out[str(set_name)][name] = predicted == rows["label"].to_numpy().astype(int)
    return out


__all__ = [
    "CORRECTION",
    "METHOD",
    "PairTest",
    "correct_by_set",
    "holm",
    "mcnemar_p",
    "pair_of",
    "pair_tests",
    "significantly_better_than",
    "significantly_worse_than",
]
