"""Model registry: build a model from its params, load any saved model.

This is the only place that knows which kinds of model exist; compare, select, the
CLI and the app go through :func:`load_model` and the :class:`TextClassifier`
interface.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PipelineError
from .base import META_FILE, LabelledTexts, Probabilities, TextClassifier

if TYPE_CHECKING:
    from ..tokenizer import Tokenizer


def _registry() -> dict[str, type[TextClassifier]]:
    from .logreg import LogRegClassifier
    from .recurrent import RecurrentClassifier

    return {cls.kind: cls for cls in (LogRegClassifier, RecurrentClassifier)}


def model_class(kind: str) -> type[TextClassifier]:
    """The class of a model ``kind`` (``logreg`` or ``recurrent``)."""
    registry = _registry()
    if kind not in registry:
        raise PipelineError(
            f"model kind {kind!r} is unknown",
            f"set 'kind' in the model's params section to one of: {', '.join(sorted(registry))}",
        )
    return registry[kind]


def build_model(
    params: dict[str, Any], *, seed: int = 0, tokenizer: Tokenizer | None = None, log_dir: str | None = None
) -> TextClassifier:
    """A new, unfitted model from one ``models.<name>`` params section.

    The section's ``kind`` picks the class; the rest are its params. The pipeline adds the
    seed (``base.seed``, unless the section sets its own ``seed``, e.g. for a study of seeds:
    ``dvc exp run -S models.gru.seed=1``), the clean_tokenize stage's ``tokenizer`` (every
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


def load_model(directory: str | Path) -> TextClassifier:
    """Load a model saved by :meth:`TextClassifier.save`, whatever its kind."""
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not meta_path.exists():
        raise PipelineError(
            f"no trained model in {directory} ({META_FILE} is missing)",
            "build the models first: `make run` (or `dvc repro`)",
        )
    meta = json.loads(meta_path.read_text())
    registry = _registry()
    if meta.get("kind") not in registry:
        raise PipelineError(
            f"{meta_path} names an unknown model kind {meta.get('kind')!r}",
            "rebuild the model with this version of the code: `dvc repro`",
        )
    return registry[meta["kind"]]._load_files(directory, meta.get("params", {}))


__all__ = ["LabelledTexts", "Probabilities", "TextClassifier", "build_model", "load_model", "model_class"]
