"""The one interface every model sits behind."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

META_FILE = "model.json"
"""Every saved model directory holds this file: which kind it is and its params."""


@dataclass(frozen=True)
class LabelledTexts:
    """Raw tweet texts with labels (1 inbound, 0 outbound), and optionally their
    precomputed token ids from the clean_tokenize stage."""

    texts: list[str]
    labels: np.ndarray
    token_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")
        if self.token_ids is not None and len(self.token_ids) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.token_ids)} token-id rows")


class TextClassifier(ABC):
    """Fit on labelled texts; give class probabilities for raw texts.

    ``predict_proba`` returns an array of shape ``(n, 2)``: column 0 is the
    probability of *outbound*, column 1 of *inbound* (the order of
    :data:`twcs_classifier.LABELS`), as in scikit-learn.
    """

    kind: ClassVar[str]

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)

    @abstractmethod
    def fit(self, train: LabelledTexts, validation: LabelledTexts | None = None) -> TextClassifier:
        """Train on ``train``; ``validation`` may be used for early stopping."""

    @abstractmethod
    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities for raw texts, shape ``(n, 2)``."""

    def predict_proba_uncalibrated(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities before any calibration step (for reporting calibration error
        before and after). Models without calibration return :meth:`predict_proba`."""
        return self.predict_proba(texts)

    def token_importance(self, text: str) -> list[tuple[str, float]]:
        """How much each token of ``text`` pushes towards *inbound* (positive) or
        *outbound* (negative). Models override this; the default says nothing."""
        return []

    @abstractmethod
    def _save_files(self, directory: Path) -> None:
        """Write the model's own files into ``directory``."""

    @classmethod
    @abstractmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> TextClassifier:
        """Rebuild a fitted model from ``directory``."""

    def save(self, directory: str | Path) -> None:
        """Write the fitted model and its ``model.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self._save_files(directory)
        meta = {"kind": self.kind, "params": self.params}
        (directory / META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
