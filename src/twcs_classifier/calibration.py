"""Temperature scaling: one scalar that makes a model's confidence mean what it says."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def _nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    z = logits / temperature
    # log(1 + exp(-|z|)) form: stable for large |z|.
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def fit_temperature(logits: np.ndarray, labels: np.ndarray, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature T > 0 that minimises the log loss of ``sigmoid(logits / T)``.

    Fitted on validation data (never the test data). T > 1 softens over-confident
    predictions; T < 1 sharpens timid ones. Returns 1.0 for fewer than two examples
    or a single class.
    """
    z = np.asarray(logits, dtype=np.float64).ravel()
    y = np.asarray(labels, dtype=np.float64).ravel()
    if len(z) != len(y):
        raise ValueError(f"{len(z)} logits but {len(y)} labels")
    if len(z) < 2 or len(np.unique(y)) < 2:
        return 1.0
    res = minimize_scalar(
        lambda log_t: _nll(z, y, float(np.exp(log_t))),
        bounds=(np.log(bounds[0]), np.log(bounds[1])),
        method="bounded",
        options={"xatol": 1e-4},
    )
    return float(np.exp(res.x))
