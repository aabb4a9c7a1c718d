"""The app's curves (ROC, precision-recall, the reliability diagrams), as plain functions (no
Streamlit): each model's curve read from its plot file under ``plots/<model>/``
(:func:`~twcs_classifier.artifacts.read_plot`), thinned to a size a browser draws quickly, in
long form, and an axis that holds every point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

from .artifacts import read_plot
from .evaluation import CONDITIONS
from .layout import PRECISION_RECALL, ROC, Layout, reliability_plot
from .metrics import thin_indices

CURVES: dict[str, tuple[str, ...]] = {
    ROC: ("fpr", "tpr"),
    PRECISION_RECALL: ("recall", "precision"),
    **{reliability_plot(condition): ("confidence", "accuracy", "count") for condition in CONDITIONS},
}
"""Each curve's file stem under ``plots/<model>/`` and its columns: x, y, then any others
(a reliability bin's tweet count)."""


def thin(frame: pd.DataFrame, max_points: int) -> pd.DataFrame:
    """At most ``max_points`` evenly spaced rows of ``frame``, always keeping the first and
    last (a curve keeps its ends and its shape; the browser gets a small chart)."""
    return frame.iloc[thin_indices(len(frame), max_points)]


def load_curves(layout: Layout, names: Sequence[str], curve: str, max_points: int = 400) -> pd.DataFrame:
    """One curve (a key of :data:`CURVES`) of every model, in long form: columns
    ``model``, the curve's columns (x, y, ...) and ``point`` (the order to draw the points in)."""
    columns = list(CURVES[curve])
    parts = []
    for name in names:
        rows = read_plot(layout, name, curve)
        if not rows:
            continue
        part = thin(pd.DataFrame(rows).reindex(columns=columns), max_points).reset_index(drop=True)
        part.insert(0, "model", name)
        part["point"] = range(len(part))
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=["model", *columns, "point"])
    return pd.concat(parts, ignore_index=True)


def curve_domain(values: Iterable[float], floor: float, step: float = 0.1) -> list[float]:
    """An axis from ``floor`` (or lower, in steps of ``step``, to hold every value) to 1."""
    finite = [v for v in values if isinstance(v, int | float) and math.isfinite(v)]
    low = min([floor, *finite])
    return [max(0.0, math.floor(round(low / step, 6)) * step), 1.0]
