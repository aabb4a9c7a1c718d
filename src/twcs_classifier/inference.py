"""Serving a model: load it, give labels, probabilities and word scores for raw texts.

The CLI and the Streamlit app call these functions, the same for every kind of model. This
module imports no pandas, TensorFlow or Keras, so a one-tweet call starts fast; labelling a
user's CSV is :mod:`twcs_classifier.serving`'s. Blank texts (nothing left after normalisation,
:func:`twcs_classifier.text.is_blank`) get no prediction anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import LABEL_TEXT, LABELS
from .errors import PipelineError
from .explanation import WordScores, word_scores
from .layout import SELECTED, Layout
from .models import TextClassifier, load_model
from .models.base import META_FILE
from .text import is_blank

MAX_TEXT_CHARS = 5000
"""Texts are cut to this many characters before prediction (a tweet has at most 280)."""
SHOWN_DECIMALS = 4
"""Probabilities shown to people (the CLI's JSON lines, the app's tables) are rounded to this
many decimals and kept within ``10**-SHOWN_DECIMALS`` of 0 and 1 (:func:`shown_probability`)."""

__all__ = [
    "MAX_TEXT_CHARS",
    "SHOWN_DECIMALS",
    "Prediction",
    "blank_mask",
    "explain",
    "explain_words",
    "load_named",
    "load_selected",
    "predict",
    "predict_proba",
    "shown_probability",
]


@dataclass(frozen=True)
class Prediction:
    """One text's prediction; ``confidence`` is the probability of the predicted class."""

    label: str
    p_inbound: float
    p_outbound: float

    @property
    def confidence(self) -> float:
        """Probability of the predicted class."""
        return max(self.p_inbound, self.p_outbound)

    @property
    def label_text(self) -> str:
        """The label in words, for people."""
        return LABEL_TEXT[self.label]


def shown_probability(p: Any, decimals: int = SHOWN_DECIMALS) -> Any:
    """A probability (or an array of them) as it is shown to a person: rounded to ``decimals``
    and kept within ``10**-decimals`` of 0 and 1, so a model never reads as certain because a
    float rounded (0.99999 shows as 0.9999, 3e-9 as 0.0001); missing values stay missing. The
    files a program reads (the labelled CSV) keep every digit."""
    tiny = 10.0**-decimals
    clipped = np.round(np.clip(np.asarray(p, dtype=float), tiny, 1.0 - tiny), decimals)
    return float(clipped) if clipped.ndim == 0 else clipped


def load_selected(directory: str | Path | None = None) -> TextClassifier:
    """Load ``models/selected`` (or ``directory``); explain how to build it if absent."""
    directory = Path(directory or Layout.find().served_model())
    return load_model(directory)


def load_named(name: str, layout: Layout | None = None) -> TextClassifier:
    """Model ``name`` of the project: ``selected`` (what the select stage installed) or any
    model the pipeline trained (``models/<name>``); an unknown name is told the ones there are."""
    layout = layout or Layout.find()
    directory = layout.model_dir(name)
    if not (directory / META_FILE).is_file():
        from .artifacts import trained_models

        there = trained_models(layout)
        if (layout.selected / META_FILE).is_file():
            there.insert(0, SELECTED)
        raise PipelineError(
            f"there is no trained model {name!r} in {layout.models}",
            f"pick one of: {', '.join(there)}" if there else "build the models first: `make run` (or `dvc repro`)",
        )
    return load_model(directory)


def _cut(text: str) -> str:
    return text[:MAX_TEXT_CHARS]


def blank_mask(model: TextClassifier, texts: Sequence[str]) -> np.ndarray:
    """For each text, whether it is blank for ``model`` (:func:`~twcs_classifier.text.is_blank`,
    masked as the model reads text)."""
    masked = bool(model.params.get("mask", False))
    return np.array([is_blank(_cut(t), masked) for t in texts], dtype=bool)


def predict_proba(model: TextClassifier, texts: Sequence[str]) -> np.ndarray:
    """Inbound probability of each raw text (texts longer than :data:`MAX_TEXT_CHARS` are cut)."""
    return model.predict_proba([_cut(t) for t in texts])[:, 1]


def predict(model: TextClassifier, texts: Sequence[str]) -> list[Prediction]:
    """A :class:`Prediction` for each raw text; a blank text is a :class:`PipelineError`."""
    blank = np.nonzero(blank_mask(model, texts))[0]
    if len(blank):
        which = ", ".join(f"#{i + 1}" for i in blank[:10])
        raise PipelineError(
            f"text {which} of {len(texts)} is blank (empty, or nothing left after normalisation): "
            "there is nothing to label",
            "give the text of a tweet",
        )
    p = predict_proba(model, texts)
    return [Prediction(LABELS[int(x >= 0.5)], float(x), float(1.0 - x)) for x in p]


def explain_words(model: TextClassifier, text: str) -> WordScores:
    """Which words of ``text`` push towards inbound (positive) or outbound (negative), for the
    same cut text that :func:`predict` labels, with how many of them the model reads."""
    return word_scores(model, _cut(text))


def explain(model: TextClassifier, text: str) -> list[tuple[str, float]]:
    """(word, score) for each word of ``text`` (:func:`explain_words`): what
    :meth:`~twcs_classifier.models.base.TextClassifier.token_importance` gives for the cut text."""
    return explain_words(model, text).pairs()
