"""Install the chosen model in ``models/selected`` with a model card."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import PipelineError
from .evaluation import CONDITIONS

LIBRARIES = ("tensorflow-cpu", "tensorflow", "keras", "scikit-learn", "skops", "numpy", "pandas", "pyarrow", "dvc")


def chosen_model(rule: str, comparison: dict[str, Any]) -> str:
    """The model ``select.model`` names, which must be one that the compare stage ranked."""
    if rule not in comparison["models"]:
        raise PipelineError(
            f"select.model is {rule!r}, which was not trained",
            f"set select.model to one of: {', '.join(comparison['models'])}",
        )
    return rule


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
