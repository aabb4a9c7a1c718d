"""Reading what the pipeline wrote, by :mod:`twcs_classifier.layout`: which models exist,
their metrics, plot rows and the model card. Missing files read as ``None`` (or are left
out), so the app can say what to build instead of failing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .dvc_pipeline import configured_models
from .layout import Layout
from .models.base import META_FILE
from .reading import read_json_or_none


def model_stamp(directory: str | Path) -> int | None:
    """When ``directory``'s ``model.json`` last changed (ns), ``None`` if absent.

    The app keys its model cache on this, so a model rebuilt by ``dvc repro`` is
    loaded again instead of the stale copy in memory.
    """
    meta = Path(directory) / META_FILE
    try:
        return meta.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _ordered(names: Iterable[str], preferred: Sequence[str]) -> list[str]:
    names = set(names)
    return [n for n in preferred if n in names] + sorted(names - set(preferred))


def trained_models(layout: Layout) -> list[str]:
    """Names of the saved models under ``models/`` (not ``selected``), in the order of
    :func:`configured_models`, then any others by name."""
    if not layout.models.is_dir():
        return []
    found = (d.name for d in layout.models.iterdir() if d != layout.selected and (d / META_FILE).is_file())
    return _ordered(found, configured_models(layout.root))


def compared_models(layout: Layout) -> list[str]:
    """Models that have ``metrics/<name>.json``: in ``compare.json``'s rank order when
    it exists, then any others in the order of :func:`configured_models`."""
    if not layout.metrics.is_dir():
        return []
    present = {p.stem for p in layout.metrics.glob("*.json") if p != layout.compare_summary}
    compare = read_json_or_none(layout.compare_summary) or {}
    ranked = sorted(compare.get("models", {}).items(), key=lambda kv: kv[1].get("rank", math.inf))
    first = [name for name, _ in ranked if name in present]
    return first + _ordered(present - set(first), configured_models(layout.root))


def load_metrics(layout: Layout, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Every number the pipeline has about each model whose metrics exist, in the given order:
    ``metrics/details/<name>.json`` (or, without it, the headline ``metrics/<name>.json``),
    with the seconds of ``reports/timing_<name>.json`` under ``timing`` when that file exists."""
    out = {}
    for name in names:
        data = read_json_or_none(layout.details_file(name))
        if data is None:
            data = read_json_or_none(layout.metrics_file(name))
        if data is None:
            continue
        timing = read_json_or_none(layout.timing_file(name))
        out[name] = {**data, **({"timing": timing} if isinstance(timing, dict) else {})}
    return out


def read_plot(layout: Layout, model: str, plot: str) -> list[dict[str, Any]] | None:
    """The rows of one of a model's plots, ``None`` if the file does not exist."""
    return read_json_or_none(layout.plot_file(model, plot))


def read_mistakes(layout: Layout, model: str) -> pd.DataFrame | None:
    """A model's most confident mistakes per test condition (``reports/errors_<model>.csv``:
    condition, tweet_id, text, truth, predicted, p_inbound, confidence), ``None`` if absent."""
    path = layout.errors_file(model)
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"tweet_id": str, "text": str}, keep_default_na=False, na_values={"p_inbound": ""})
