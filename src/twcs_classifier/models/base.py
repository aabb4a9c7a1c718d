"""The one interface every model sits behind, and what every model shares: the shared
params, the check for unknown ones, and temperature scaling."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple, Self

import numpy as np

from ..explanation import EXPLANATION, word_scores
from ..layout import MODEL_META
from ..schema import params_error, params_schema, validate_section
from ..text import as_text_list

if TYPE_CHECKING:
    from ..tokenizer import Encoded

META_FILE = MODEL_META
"""Every saved model directory holds this file: which kind it is and its params."""

SHARED_PARAMS: Mapping[str, Any] = {
    "calibrate": True,  # fit a temperature for the log-odds on the validation split
    "seed": 0,  # base.seed, given by the train stage
    "mask": False,  # read text masked (handles, links, ids, sign-offs), as clean_tokenize did
    "temperature": 1.0,  # fitted by ``fit``; saved with the model
}
"""The params every model takes, with their defaults."""

SHARED_CONSTRAINTS: Mapping[str, Mapping[str, Any]] = {"seed": {"ge": 0}, "temperature": {"gt": 0.0}}
"""Bounds of the shared params (see :attr:`TextClassifier.constraints`)."""

USER_SHARED_PARAMS: tuple[str, ...] = ("calibrate",)
"""The shared params a ``models.<name>`` section of params.yaml may set; the pipeline sets
the others (``seed`` from ``base.seed``, ``mask`` from ``clean_tokenize.mask``, and the
fitted ``temperature``)."""


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function, exact in float64 at both ends (no overflow warning)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True)
class LabelledTexts:
    """Raw tweet texts with labels (1 inbound, 0 outbound), and optionally their ids from
    the clean_tokenize stage (:class:`~twcs_classifier.tokenizer.Encoded`)."""

    texts: list[str]
    labels: np.ndarray
    encoded: Encoded | None = None

    @classmethod
    def from_frame(cls, frame: Any, encoded: Encoded | None = None) -> LabelledTexts:
        """A frame's ``text`` and ``label`` columns (a processed split), with its ids."""
        return cls(frame["text"].tolist(), frame["label"].to_numpy(), encoded)

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")
        if self.encoded is not None and len(self.encoded) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.encoded)} rows of ids")


class Probabilities(NamedTuple):
    """Probabilities of (outbound, inbound), shape ``(n, 2)``, as served (``calibrated``)
    and before temperature scaling (``uncalibrated``)."""

    calibrated: np.ndarray
    uncalibrated: np.ndarray


class TextClassifier(ABC):
    """Fit on labelled texts; give class probabilities for raw texts.

    A model supplies its inbound log-odds for raw texts (:meth:`logits`) and how it fits
    (:meth:`_fit`); this class fits a temperature for those log-odds on the validation
    split and turns them into probabilities. ``predict_proba`` returns an array of shape
    ``(n, 2)``: column 0 is the probability of *outbound*, column 1 of *inbound* (the order
    of :data:`twcs_classifier.LABELS`), as in scikit-learn.

    Params: :data:`SHARED_PARAMS` and the model's own :attr:`defaults`, each of the type of
    its default and within its :attr:`constraints`; anything else is a :class:`PipelineError`.
    Adding a param is one entry in :attr:`defaults` (and, if it has bounds or a set of
    allowed values, one in :attr:`constraints`): params.yaml is validated from them too.
    """

    kind: ClassVar[str]
    """The ``kind`` that names this class in a ``models.<name>`` params section."""

    defaults: ClassVar[Mapping[str, Any]] = {}
    """The model's own params and their defaults."""

    constraints: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    """Per param of :attr:`defaults`, what it allows beyond its type: ``{"choices": (...)}``
    or pydantic ``Field`` bounds (``ge``, ``gt``, ``le``, ``lt``)."""

    needs_tokenizer: ClassVar[bool] = False
    """Whether the model is built with the clean_tokenize stage's tokenizer (it reads token ids)."""

    importance_explanation: ClassVar[str] = EXPLANATION
    """What the scores of :meth:`token_importance` mean, in a sentence for people (the same
    for every model: one method explains them all)."""

    def __init__(self, log_dir: str | None = None, **params: Any) -> None:
        validated, problems = validate_section(self._init_schema(), params, prefix=self.kind)
        problems += self.param_problems(validated or {}, self.kind) if validated else []
        if problems:
            raise params_error(f"{self.kind} model params", problems)
        assert validated is not None
        self.params = validated
        self.log_dir = log_dir
        """Where the model may log its training curves (dvclive); ``None``: nowhere."""
        self.history: dict[str, list[float]] = {}
        """Per-epoch training curves of the last fit (empty for a model not trained in epochs)."""

    # -- params -----------------------------------------------------------------------------------
    @classmethod
    @cache
    def _init_schema(cls) -> Any:
        return params_schema(
            f"{cls.kind} params", {**cls.defaults, **SHARED_PARAMS}, {**SHARED_CONSTRAINTS, **cls.constraints}
        )

    @classmethod
    @cache
    def param_schema(cls) -> Any:
        """The schema of this kind's ``models.<name>`` section in params.yaml: ``kind``, the
        model's :attr:`defaults` and :data:`USER_SHARED_PARAMS`."""
        defaults = {"kind": cls.kind, **cls.defaults, **{k: SHARED_PARAMS[k] for k in USER_SHARED_PARAMS}}
        return params_schema(f"{cls.kind} section", defaults, {"kind": {"choices": (cls.kind,)}, **cls.constraints})

    @classmethod
    def param_problems(cls, params: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
        """(problem, fix) pairs for params that are each fine but do not fit together (keys
        named ``<prefix>.<key>``); none by default."""
        return []

    @property
    def epochs_trained(self) -> int | None:
        """How many epochs the last fit ran; ``None`` for a model without an ``epochs`` param."""
        if "epochs" not in self.params:
            return None
        return max((len(v) for v in self.history.values()), default=0)

    # -- what a model supplies -----------------------------------------------------------------
    @abstractmethod
    def _fit(self, train: LabelledTexts, validation: LabelledTexts | None) -> None:
        """Train on ``train``; ``validation`` may be used for early stopping."""

    @abstractmethod
    def logits(self, texts: list[str]) -> np.ndarray:
        """Inbound log-odds of each raw text (a non-empty list of strings), before
        temperature scaling, shape ``(n,)``."""

    def _validation_logits(self, validation: LabelledTexts) -> np.ndarray:
        """The log-odds the temperature is fitted on; a model that trains on other inputs
        than raw texts may compute them from those."""
        return self.logits(as_text_list(validation.texts))

    def token_importance(self, text: str) -> list[tuple[str, float]]:
        """How much each word of ``text`` (its tokens as the model reads them, written together:
        ``us!``, ``^jk``) pushes towards *inbound* (positive) or *outbound* (negative): its
        Shapley value in log-odds as served, computed from :meth:`logits` alone
        (:func:`twcs_classifier.explanation.word_scores`), the same way for every model. The
        scores add up to the log-odds of the text minus those of the empty text; words past
        :attr:`max_tokens_read` score 0."""
        return word_scores(self, text).pairs()

    @property
    def max_tokens_read(self) -> int | None:
        """How many tokens of a text the model reads, from the start; ``None``: all of them.
        A model that stops reading (a recurrent model at its sequence length) says where, so
        the app can show which words were read; :meth:`token_importance` scores the words
        past it 0."""
        return None

    @abstractmethod
    def _save_files(self, directory: Path) -> None:
        """Write the model's own files into ``directory``."""

    def _meta(self, directory: Path) -> dict[str, Any]:
        """What ``model.json`` records beside the kind and params (e.g. hashes of the files
        :meth:`_save_files` wrote); nothing by default."""
        return {}

    @classmethod
    @abstractmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> TextClassifier:
        """Rebuild a fitted model from ``directory``."""

    # -- what every model shares ------------------------------------------------------------------
    def fit(self, train: LabelledTexts, validation: LabelledTexts | None = None) -> Self:
        """Train; then, with ``calibrate``, fit the temperature on the validation split."""
        self._fit(train, validation)
        self.params["temperature"] = 1.0
        if self.params["calibrate"] and validation is not None and len(validation.texts):
            from ..calibration import fit_temperature  # scipy: only when fitting

            logits = self._validation_logits(validation)
            self.params["temperature"] = round(fit_temperature(logits, np.asarray(validation.labels)), 4)
        return self

    def proba_from_logits(self, logits: np.ndarray, calibrated: bool = True) -> np.ndarray:
        """Probabilities of (outbound, inbound) from inbound log-odds, divided by the
        temperature first when ``calibrated``."""
        z = np.asarray(logits, dtype=np.float64).reshape(-1)
        p = sigmoid(z / self.params["temperature"] if calibrated else z)
        return np.column_stack([1.0 - p, p])

    def _logits_of(self, texts: Sequence[str]) -> np.ndarray:
        items = as_text_list(texts)  # a TypeError names the first text that is not a string
        return self.logits(items) if items else np.zeros(0)

    def probabilities(self, texts: Sequence[str]) -> Probabilities:
        """Calibrated and uncalibrated probabilities for raw texts, from one pass of the model."""
        logits = self._logits_of(texts)
        return Probabilities(self.proba_from_logits(logits), self.proba_from_logits(logits, calibrated=False))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities for raw texts, as served (calibrated), shape ``(n, 2)``."""
        return self.proba_from_logits(self._logits_of(texts))

    def save(self, directory: str | Path) -> None:
        """Write the fitted model and its ``model.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self._save_files(directory)
        meta = {"kind": self.kind, "params": self.params, **self._meta(directory)}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
