"""Install the chosen model in ``models/selected`` with a model card."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import PipelineError
from .evaluation import CONDITIONS

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "scikit-learn", "skops", "numpy", "pandas", "pyarrow", "dvc")


BEST = "best"
"""The ``select.model`` value that picks the model with the best validation macro-F1."""


@dataclass(frozen=True)
class Selection:
    """Which model ``select.model`` chose, and why, in words for the model card."""

    model: str
    rule: str
    reason: str


def chosen_model(rule: str, validation_f1: Mapping[str, float]) -> Selection:
    """The model that ``select.model`` names: a trained model's name, or ``best``, the model
    with the highest macro-F1 on the **validation** split (never a test split; ties go to the
    first in ``validation_f1``'s order, which is ``compare.models``)."""
    if rule == BEST:
        model = max(validation_f1, key=lambda name: validation_f1[name])
        others = ", ".join(f"{n} {v:.4f}" for n, v in validation_f1.items() if n != model)
        reason = (
            f"select.model is {BEST!r}: {model} has the best validation macro-F1 ({validation_f1[model]:.4f}; "
            f"{others or 'no other model'})"
        )
        return Selection(model, BEST, reason)
    if rule not in validation_f1:
        raise PipelineError(
            f"select.model is {rule!r}, which was not trained",
            f"set select.model to {BEST!r} or to one of: {', '.join(validation_f1)}",
        )
    return Selection(rule, "named", f"select.model names {rule}")


def fingerprint(paths: Iterable[str | Path]) -> str:
    """SHA-256 over the names and bytes of the given files (sorted), as hex."""
    h = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        h.update(path.name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries a model depends on, and Python's."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def model_card(
    name: str,
    metrics: dict[str, Any],
    comparison: dict[str, Any],
    sample_report: dict[str, Any],
    data_fingerprint: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What a user of ``models/selected`` needs to know about it, as one dict."""
    return {
        "model": name,
        "params": metrics.get("params", {}),
        "metrics": {k: metrics[k] for k in ("validation", *CONDITIONS) if k in metrics},
        "calibration": metrics.get("calibration", {}),
        "timing": metrics.get("timing", {}),
        "selection": comparison["selection"],
        "comparison": {
            "rank_by": comparison["rank_by"],
            "rank": comparison["models"][name]["rank"],
            "best": comparison["best"],
            "selected_is_best": comparison["selected_is_best"],
            "verdict": comparison["verdict"],
            "verdicts": comparison.get("verdicts", {}),
        },
        "splits": sample_report["actual"],
        "seed": sample_report.get("seed"),
        "data_fingerprint": {"sha256_of_split_files": data_fingerprint},
        "created": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        "labels": {"0": "outbound (company reply)", "1": "inbound (customer query)"},
    }


def install_model(source: str | Path, target: str | Path) -> None:
    """Copy a saved model directory to ``target``, replacing it in one move."""
    source, target = Path(source), Path(target)
    if not source.is_dir():
        raise FileNotFoundError(f"no model directory at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
