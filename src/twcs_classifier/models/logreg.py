"""The baseline: TF-IDF on word and character n-grams, then logistic regression."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from ..errors import PipelineError
from ..text import as_text_list, mask_normalise_many, normalise_many, respell_some
from .base import LabelledTexts, TextClassifier

MODEL_FILE = "model.skops"
VOCABULARY_FILE = "vocabulary_{}.json"
TRUSTED_TYPES = ("twcs_classifier.text.normalise_many", "twcs_classifier.text.mask_normalise_many")
"""The only non-scikit-learn objects a saved pipeline may hold; anything else is refused."""


class LogRegClassifier(TextClassifier):
    """Word (1-2)-grams and character n-grams with TF-IDF, no stop-word removal
    ("we", "us", "please", "my" carry the signal), then logistic regression, its
    log-odds divided by a temperature fitted on the validation split. The pipeline
    normalises raw text itself and is saved with skops, not pickle. ``sign_off_augment``:
    that share of the training tweets ending in a sign-off is fitted on with the sign-off
    respelled (:func:`~twcs_classifier.text.respell_some`), from a seeded generator."""

    kind: ClassVar[str] = "logreg"
    defaults: ClassVar[Mapping[str, Any]] = {
        "C": 4.0,
        "word_ngram_max": 2,
        "char_ngram_min": 2,
        "char_ngram_max": 5,
        "min_df": 2,
        "max_features": 300_000,
        "max_iter": 2000,
        "sign_off_augment": 0.5,
    }
    constraints: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "C": {"gt": 0.0},
        "word_ngram_max": {"ge": 1},
        "char_ngram_min": {"ge": 1},
        "char_ngram_max": {"ge": 1},
        "min_df": {"ge": 1},
        "max_features": {"ge": 1},
        "max_iter": {"ge": 1},
        "sign_off_augment": {"ge": 0.0, "le": 1.0},
    }

    def __init__(self, log_dir: str | None = None, **params: Any) -> None:
        super().__init__(log_dir, **params)
        self.pipeline: Pipeline | None = None

    @classmethod
    def param_problems(cls, params: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
        """The character n-gram range must not be empty."""
        from ..schema import ngram_range_problems

        return ngram_range_problems(prefix, params["char_ngram_min"], params["char_ngram_max"])

    def _build(self) -> Pipeline:
        p = self.params
        words = TfidfVectorizer(
            lowercase=False,
            token_pattern=r"[^ ]+",
            ngram_range=(1, p["word_ngram_max"]),
            min_df=p["min_df"],
            max_features=p["max_features"],
            sublinear_tf=True,
            dtype=np.float32,
        )
        chars = TfidfVectorizer(
            lowercase=False,
            analyzer="char_wb",
            ngram_range=(p["char_ngram_min"], p["char_ngram_max"]),
            min_df=p["min_df"],
            max_features=p["max_features"],
            sublinear_tf=True,
            dtype=np.float32,
        )
        return Pipeline(
            [
                ("normalise", FunctionTransformer(mask_normalise_many if p["mask"] else normalise_many)),
                ("features", FeatureUnion([("words", words), ("chars", chars)])),
                ("classifier", LogisticRegression(C=p["C"], max_iter=p["max_iter"], random_state=p["seed"])),
            ]
        )

    def _fit(self, train: LabelledTexts, validation: LabelledTexts | None) -> None:
        """Fit the whole pipeline on raw training texts, a ``sign_off_augment`` share of their
        sign-offs respelled (masked text has none)."""
        p, texts = self.params, as_text_list(train.texts)
        if p["sign_off_augment"] > 0 and not p["mask"]:
            texts = respell_some(texts, p["sign_off_augment"], np.random.default_rng(p["seed"]))
        self.pipeline = self._build().fit(texts, np.asarray(train.labels).astype(int))

    def _fitted(self) -> Pipeline:
        if self.pipeline is None:
            raise RuntimeError("this logreg model is not fitted: call fit() first")
        return self.pipeline

    def logits(self, texts: list[str]) -> np.ndarray:
        """The logistic regression's inbound log-odds for each raw text."""
        return self._fitted().decision_function(texts)

    def _vectorizers(self) -> list[tuple[str, TfidfVectorizer]]:
        return list(self._fitted().named_steps["features"].transformer_list)

    def _save_files(self, directory: Path) -> None:
        """The pipeline with skops; each vectoriser's vocabulary as JSON beside it.

        skops writes a dict entry by entry and took minutes for the few hundred thousand
        n-grams of a full-size vocabulary; as JSON it takes a second. Both formats hold
        data only, never code.
        """
        import skops.io as sio

        vocabularies = {}
        try:
            for name, vectorizer in self._vectorizers():
                vocabularies[name] = vectorizer.vocabulary_
                vectorizer.vocabulary_ = {}
            sio.dump(self._fitted(), directory / MODEL_FILE)
        finally:
            for name, vectorizer in self._vectorizers():
                vectorizer.vocabulary_ = vocabularies.get(name, vectorizer.vocabulary_)
        for name, vocabulary in vocabularies.items():
            (directory / VOCABULARY_FILE.format(name)).write_text(
                json.dumps({k: int(v) for k, v in vocabulary.items()}, ensure_ascii=False)
            )

    def _meta(self, directory: Path) -> dict[str, Any]:
        """The runtime it is served with (no TensorFlow either)."""
        from importlib import metadata

        return {"serving": {"runtime": "skops", **{n: metadata.version(n) for n in ("skops", "scikit-learn")}}}

    @classmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> LogRegClassifier:
        import skops.io as sio

        path = directory / MODEL_FILE
        untrusted = set(sio.get_untrusted_types(file=path))
        unexpected = untrusted - set(TRUSTED_TYPES)
        if unexpected:
            raise PipelineError(
                f"{path} holds types this project does not trust: {', '.join(sorted(unexpected))}",
                "rebuild the model with `dvc repro` rather than loading a file from elsewhere",
            )
        model = cls(**params)
        model.pipeline = sio.load(path, trusted=sorted(untrusted))
        for name, vectorizer in model._vectorizers():
            vectorizer.vocabulary_ = json.loads((directory / VOCABULARY_FILE.format(name)).read_text())
        return model
