"""Install the chosen model in ``models/selected`` with a model card."""

from __future__ import annotations

import hashlib
import platform
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from scipy.stats import binomtest

from .dvc_pipeline import restore_hint
from .errors import PipelineError
from .evaluation import CONDITIONS
from .files import atomic_dir, write_json
from .layout import MODEL_CARD
from .paired import PairTest, significantly_better_than, significantly_worse_than
from .params import SELECT_BEST

LIBRARIES = (
    "onnxruntime",
    "tensorflow-cpu",
    "tensorflow",
    "keras",
    "tf2onnx",
    "scikit-learn",
    "skops",
    "numpy",
    "pandas",
    "pyarrow",
    "dvc",
)
"""Versions on the card: the serving runtimes (onnxruntime, skops) and what trained the model."""


CHANCE_P_VALUE = 0.01
"""A model is better than chance when its validation accuracy beats always guessing the
majority class with a one-sided binomial p-value below this."""


def serving_problems(name: str, metrics: Mapping[str, Any]) -> list[str]:
    """Why model ``name`` must not be served, from its metrics file: it trained no epochs
    (``training.epochs_trained``, recorded by the train stage for models trained in
    epochs), or its validation accuracy is no better than chance. Empty when it may be."""
    problems = []
    if (metrics.get("training") or {}).get("epochs_trained") == 0:
        problems.append(f"{name} trained no epochs")
    val = metrics.get("validation") or {}
    n, accuracy, confusion = val.get("n"), val.get("accuracy"), val.get("confusion")
    if not n or accuracy is None or not confusion:
        problems.append(f"{name} has no validation metrics")
        return problems
    inbound_share = (confusion["tp"] + confusion["fn"]) / n
    chance = max(inbound_share, 1.0 - inbound_share)
    p_value = binomtest(round(accuracy * n), n, chance, alternative="greater").pvalue if chance < 1 else 1.0
    if p_value >= CHANCE_P_VALUE:
        problems.append(
            f"{name}'s validation accuracy, {accuracy:.4f} on {n} tweets, is no better than chance "
            f"({chance:.4f}, always the majority class; p = {p_value:.3f})"
        )
    return problems


@dataclass(frozen=True)
class Selection:
    """Which model ``select.model`` chose, and why, in words for the model card."""

    model: str
    rule: str
    reason: str


def chosen_model(
    rule: str, metrics: Mapping[str, Mapping[str, Any]], validation: Sequence[PairTest] | None = None
) -> Selection:
    """The model ``select.model`` chooses among the compared models (the keys of ``metrics``,
    in ``compare.models`` order, which lists the simplest model first): a model's name, or
    ``best``: of the models fit to serve (:func:`serving_problems`), the **first in that order
    that no other fit model is significantly better than on the validation split**, on the
    paired tests of ``validation`` (:func:`~twcs_classifier.paired.pair_tests`, the same as
    compare's; never a test split). The model with the best figure always qualifies, so a
    model is passed over only for one that is significantly better; among models the
    validation split cannot tell apart, the simplest is served."""
    if rule == SELECT_BEST:
        fit = [n for n in metrics if not serving_problems(n, metrics[n])]
        if not fit:
            raise PipelineError(
                "select.model is best, but no compared model is fit to serve: "
                + "; ".join(p for n in metrics for p in serving_problems(n, metrics[n])),
                "train the models properly (enough data and epochs), then run `dvc repro` again",
            )
        if validation is None:
            raise ValueError("select.model best needs the paired tests of the validation split")
        beaten = {n: [b for b in significantly_better_than(n, validation) if b in fit] for n in fit}
        model = next(n for n in fit if not beaten[n])
        metric = validation[0].metric if validation else "f1_macro"
        value = {t.a: t.a_value for t in validation} | {t.b: t.b_value for t in validation}
        if model not in value:  # a single model: no pairs
            value[model] = float(metrics[model]["validation"][metric])
        passed = [f"{n} (significantly worse than {', '.join(beaten[n])})" for n in fit[: fit.index(model)]]
        worse = significantly_worse_than(model, validation)
        others = [f"{n} {value[n]:.4f} ({'significantly worse' if n in worse else 'a tie'})" for n in fit if n != model]
        reason = (
            f"select.model is {SELECT_BEST!r}: {model} is the first model in compare.models (simplest first) that no "
            f"other model fit to serve is significantly better than on the validation split (paired exact McNemar "
            f"tests, Holm-adjusted); validation {metric} {value[model]:.4f}"
            + (f"; others: {', '.join(others)}" if others else "; no other model is fit to serve")
            + (f"; passed over: {', '.join(passed)}" if passed else "")
        )
        return Selection(model, SELECT_BEST, reason)
    if rule not in metrics:
        raise PipelineError(
            f"select.model is {rule!r}, which was not trained",
            f"set select.model to {SELECT_BEST!r} or to one of: {', '.join(metrics)}",
        )
    return Selection(
        rule,
        "named",
        f"select.model in params.yaml names {rule} (to serve another, set it to another model or to "
        f"{SELECT_BEST!r} and run `dvc repro`)",
    )


def installed_model(rule: str, comparison: dict[str, Any]) -> str:
    """The model to install for ``select.model``: the one the compare stage chose (which
    :func:`chosen_model` resolved), checked to be one that it ranked."""
    name = comparison.get("selected") if rule == SELECT_BEST else rule
    if name not in comparison["models"]:
        raise PipelineError(
            f"select.model is {rule!r}, which was not trained",
            f"set select.model to one of: {', '.join([*comparison['models'], SELECT_BEST])}",
        )
    return str(name)


def check_servable(name: str, metrics: Mapping[str, Any]) -> None:
    """Refuse to install a model that :func:`serving_problems` finds fault with."""
    problems = serving_problems(name, metrics)
    if problems:
        raise PipelineError(
            f"select refuses to serve {name}: " + "; ".join(problems),
            f"train it properly (more epochs, see models.{name} in params.yaml, and enough data), "
            "or set select.model to another model",
        )


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
    meta: Mapping[str, Any],
    metrics: dict[str, Any],
    comparison: dict[str, Any],
    sample_report: dict[str, Any],
    data_fingerprint: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """What a user of ``models/selected`` needs to know about it, as one dict: ``meta`` is the
    model's ``model.json`` (its kind and params, the seed and temperature included), ``metrics``
    its details file, ``comparison`` the compare stage's summary: why the model was chosen
    (``selection``) and the paired verdicts about it, as compare worded them. Timings are not
    on the card: they change on every run, and select does not depend on them
    (``reports/timing_<model>.json`` has them)."""
    return {
        "model": name,
        "params": {"kind": meta.get("kind"), **(meta.get("params") or {})},
        "metrics": {k: metrics[k] for k in ("validation", *CONDITIONS) if k in metrics},
        "calibration": metrics.get("calibration", {}),
        "serving": meta.get("serving", {}),
        "training": {**metrics.get("training", {}), "n_train": metrics.get("n_train")},
        "selection": comparison["selection"],
        "comparison": {
            "rank_by": comparison["rank_by"],
            "rank": comparison["models"][name]["rank"],
            "leader": comparison["leader"],
            "paired_test": comparison["paired_test"],
            "not_significantly_worse": comparison["not_significantly_worse"],
            "verdict": comparison["verdict"],
            "verdicts": comparison["verdicts"],
        },
        "splits": sample_report["actual"],
        "seed": sample_report.get("seed"),
        "data_fingerprint": {"sha256_of_split_files": data_fingerprint},
        "created": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "libraries": library_versions(),
        "labels": {"0": "outbound (company reply)", "1": "inbound (customer query)"},
    }


def install_model(source: str | Path, target: str | Path, card: Mapping[str, Any] | None = None) -> None:
    """Copy a saved model directory to ``target`` with its ``card`` (written as
    ``model_card.json`` inside), replacing ``target`` only once the copy and the card are whole:
    a failed or killed run leaves the model served before, card included, as it was."""
    source, target = Path(source), Path(target)
    if not source.is_dir():
        raise PipelineError(f"no model directory at {source}", restore_hint(source))
    with atomic_dir(target) as tmp:
        shutil.copytree(source, tmp, dirs_exist_ok=True)
        if card is not None:
            write_json(tmp / MODEL_CARD, card)
