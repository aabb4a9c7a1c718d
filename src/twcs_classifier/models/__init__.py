"""Model registry: build a model from its params, load any saved model.

A model kind is found by its module's name (``models/<kind>.py`` defines the class whose
``kind`` it is), so adding one needs no list here; compare, select, the CLI and the app go
through :func:`load_model` and the :class:`TextClassifier` interface.
"""

from __future__ import annotations

import ast
import importlib
import json
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dvc_pipeline import restore_hint
from ..errors import PipelineError
from .base import META_FILE, LabelledTexts, Probabilities, TextClassifier

if TYPE_CHECKING:
    from ..tokenizer import Tokenizer


def _declares_kind(source: str, kind: str) -> bool:
    """Whether Python ``source`` defines a class whose ``kind`` is set to ``kind``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                target = stmt.target if isinstance(stmt, ast.AnnAssign) else None
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                value = getattr(stmt, "value", None)
                named = isinstance(target, ast.Name) and target.id == "kind"
                if named and isinstance(value, ast.Constant) and value.value == kind:
                    return True
    return False


@lru_cache(maxsize=1)
def known_kinds() -> tuple[str, ...]:
    """The model kinds a ``models.<name>.kind`` may name: a kind is the module of this package
    named after it (``models/<kind>.py``) that defines a class whose ``kind`` is that name.
    Read from the sources, so listing the kinds imports no model (and no TensorFlow)."""
    here = Path(__file__).parent
    return tuple(
        path.stem
        for path in sorted(here.glob("*.py"))
        if not path.stem.startswith("_") and _declares_kind(path.read_text(encoding="utf-8"), path.stem)
    )


def model_class(kind: str) -> type[TextClassifier]:
    """The class of a model ``kind``: the one in ``models/<kind>.py`` whose ``kind`` it is.
    Its module is imported only now, so serving a recurrent model never imports
    scikit-learn, nor logreg Keras."""
    if kind not in known_kinds():
        raise PipelineError(
            f"model kind {kind!r} is unknown",
            f"set 'kind' in the model's params section to one of: {', '.join(sorted(known_kinds()))}",
        )
    module = importlib.import_module(f"{__name__}.{kind}")
    return next(
        cls
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, TextClassifier) and cls.__dict__.get("kind") == kind
    )


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
    if not isinstance(meta, dict) or meta.get("kind") not in known_kinds():
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
