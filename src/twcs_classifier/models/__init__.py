"""Model registry: build a model from its params, load any saved model.

This is the only place that knows which kinds of model exist; compare, select, the
CLI and the app go through :func:`load_model` and the :class:`TextClassifier`
interface.
"""

from __future__ import annotations

import importlib
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PipelineError
from ..layout import restore_hint
from .base import META_FILE, LabelledTexts, Probabilities, TextClassifier

if TYPE_CHECKING:
    from ..tokenizer import Tokenizer


KINDS: dict[str, str] = {
    "logreg": "twcs_classifier.models.logreg:LogRegClassifier",
    "recurrent": "twcs_classifier.models.recurrent:RecurrentClassifier",
}
"""Each model kind and where its class lives (``module:Class``). A class is imported only when
its kind is used, so serving a recurrent model never imports scikit-learn, nor logreg Keras."""


def known_kinds() -> list[str]:
    """The model kinds a ``models.<name>.kind`` may name."""
    return list(KINDS)


def model_class(kind: str) -> type[TextClassifier]:
    """The class of a model ``kind`` (``logreg`` or ``recurrent``)."""
    if kind not in KINDS:
        raise PipelineError(
            f"model kind {kind!r} is unknown",
            f"set 'kind' in the model's params section to one of: {', '.join(sorted(KINDS))}",
        )
    module, name = KINDS[kind].split(":")
    cls = getattr(importlib.import_module(module), name)
    assert cls.kind == kind, f"{KINDS[kind]} says it is kind {cls.kind!r}"
    return cls


def build_model(
    params: dict[str, Any], *, seed: int = 0, tokenizer: Tokenizer | None = None, log_dir: str | None = None
) -> TextClassifier:
    """A new, unfitted model from one ``models.<name>`` params section.

    The section's ``kind`` picks the class; the rest are its params. The pipeline adds the
    seed (``base.seed``; a ``seed`` in ``params`` wins, as ``benchmarks/variants.py`` uses for
    a study of seeds), the clean_tokenize stage's ``tokenizer`` (every
    model reads text masked or not as it says; a model that reads the vocabulary is given it)
    and ``log_dir`` for training curves.
    """
    params = dict(params)
    cls = model_class(params.pop("kind", None))
    if tokenizer is not None:
        params.setdefault("mask", tokenizer.mask)
    params.setdefault("seed", seed)
    context = {"tokenizer": tokenizer} if cls.needs_tokenizer else {}
    return cls(log_dir=log_dir, **params, **context)


def _damaged_file(directory: Path) -> str | None:
    """The first file of a saved model that is visibly damaged (a zip that does not open or
    JSON that does not parse), or ``None``."""
    for path in sorted(directory.iterdir()):
        try:
            if path.suffix in (".keras", ".skops"):
                with zipfile.ZipFile(path) as zf:
                    if zf.testzip() is not None:
                        return path.name
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return path.name
    return None


def load_model(directory: str | Path) -> TextClassifier:
    """Load a model saved by :meth:`TextClassifier.save`, whatever its kind.

    A missing, damaged or refused model is a :class:`PipelineError` naming the file and the
    command that rebuilds it.
    """
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not directory.is_dir() or not meta_path.is_file():
        raise PipelineError(
            f"no trained model in {directory} ({META_FILE} is missing)",
            "build the models first: `make run` (or `dvc repro`)",
        )
    rebuild = restore_hint(directory)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise PipelineError(f"{meta_path} cannot be read ({err})", rebuild) from None
    if not isinstance(meta, dict) or meta.get("kind") not in KINDS:
        kind = meta.get("kind") if isinstance(meta, dict) else None
        raise PipelineError(f"{meta_path} names an unknown model kind {kind!r}", rebuild)
    try:
        return model_class(meta["kind"])._load_files(directory, meta.get("params", {}))
    except PipelineError:
        raise
    except Exception as err:  # noqa: BLE001 - a damaged file fails in many ways inside keras/skops
        damaged = _damaged_file(directory)
        where = directory / damaged if damaged else directory
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise PipelineError(
            f"the model in {where} cannot be loaded ({type(err).__name__}: {first[:300]})", rebuild
        ) from None


__all__ = [
    "LabelledTexts",
    "Probabilities",
    "TextClassifier",
    "build_model",
    "known_kinds",
    "load_model",
    "model_class",
]
