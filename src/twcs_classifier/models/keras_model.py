"""What every Keras model shares: its inputs and token vectors, training with early stopping
(fed by :mod:`~twcs_classifier.models.keras_feed`), export to ONNX at training time
(:mod:`~twcs_classifier.models.keras_export`), and serving and loading without TensorFlow.

A new Keras architecture subclasses :class:`KerasClassifier` and supplies only
:meth:`KerasClassifier._body` (token vectors and their mask → one feature vector per text),
its ``kind``, its own params (:attr:`~twcs_classifier.models.base.TextClassifier.defaults`)
and their bounds. TensorFlow is imported only to train; a loaded model runs its ONNX file.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..dvc_pipeline import restore_hint
from ..errors import PipelineError
from ..reading import sha256_file
from ..runtime import keras as _keras
from ..runtime import seed_everything, tensorflow
from ..tokenizer import INPUT_NAMES, INPUT_RANKS, Encoded, Tokenizer
from .base import META_FILE, LabelledTexts, TextClassifier
from .keras_export import check_parity, export_onnx
from .keras_feed import Feed, encoded
from .onnx_network import ONNX_FILE, TOKENIZER_FILE, OnnxNetwork, check_files, runtime_versions

KERAS_FILE = "model.keras"
"""The trained Keras network (ids → logit), kept for retraining and inspection; never served."""


class KerasClassifier(TextClassifier):
    """Token ids → token vectors (the mean embedding of each token's hashed character n-grams,
    plus a whole-word embedding with ``word_embedding``) → :meth:`_body` → dropout → one logit.

    Training, in epochs of one pass over the training split or ``epoch_size`` tweets, whichever
    is fewer, on the ids the clean_tokenize stage wrote: Adam on the dense weights and a lazy
    (row-wise) Adam on the embedding tables, the learning rate halved when the validation loss
    stalls for ``lr_patience`` epochs, early stopping after ``patience`` epochs without a better
    validation loss with the best weights restored, and, with ``ema_momentum`` > 0, validation
    and the kept weights taken from an exponential moving average of the weights.
    ``mask_augment`` feeds that share of the training tweets as their masked ids and
    ``sign_off_augment`` that share of those ending in a sign-off with it respelled, drawn
    afresh each epoch (:mod:`~twcs_classifier.models.keras_feed`); ``spatial_dropout`` drops
    whole embedding channels. Then the network is
    exported to ONNX, checked against Keras on the validation split, and the temperature is
    fitted on the validation split through the exported network (as served).
    """

    defaults: ClassVar[Mapping[str, Any]] = {
        "char_ngrams": True,
        "word_embedding": False,
        "embedding_dim": 48,
        "spatial_dropout": 0.3,
        "dropout": 0.5,
        "mask_augment": 0.3,
        "sign_off_augment": 0.5,
        "epochs": 30,
        "epoch_size": 10000,
        "batch_size": 128,
        "learning_rate": 2e-3,
        "patience": 4,
        "lr_patience": 1,
        "ema_momentum": 0.0,
        "bucket_by_length": True,
        "mixed_precision": False,
    }
    constraints: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "embedding_dim": {"ge": 1},
        "spatial_dropout": {"ge": 0.0, "lt": 1.0},
        "dropout": {"ge": 0.0, "lt": 1.0},
        "mask_augment": {"ge": 0.0, "le": 1.0},
        "sign_off_augment": {"ge": 0.0, "le": 1.0},
        "epochs": {"ge": 1},
        "epoch_size": {"ge": 1},
        "batch_size": {"ge": 1},
        "learning_rate": {"gt": 0.0},
        "patience": {"ge": 0},
        "lr_patience": {"ge": 0},
        "ema_momentum": {"ge": 0.0, "lt": 1.0},
    }
    needs_tokenizer: ClassVar[bool] = True

    def __init__(self, tokenizer: Tokenizer | None = None, log_dir: str | None = None, **params: Any) -> None:
        super().__init__(log_dir, **params)
        self.tokenizer = tokenizer
        if tokenizer is not None:
            problems = self.input_problems(self.params, tokenizer, self.kind)
            if problems:
                from ..schema import params_error

                raise params_error(f"{self.kind} model params", problems)
        self.network: Any = None  # Keras: ids -> logit (training only)
        self.served: OnnxNetwork | None = None  # the ONNX export: ids -> logit
        self._onnx_bytes: bytes | None = None
        self._extra_callbacks: list[Any] = []  # e.g. a benchmark's epoch timer

    @classmethod
    def param_problems(cls, params: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
        """An input to read: n-grams or whole words."""
        if not params["char_ngrams"] and not params["word_embedding"]:
            return [
                (
                    f"{prefix} has no input: char_ngrams and word_embedding are both false",
                    f"set {prefix}.char_ngrams: true or {prefix}.word_embedding: true",
                )
            ]
        return []

    @staticmethod
    def input_problems(params: Mapping[str, Any], tokenizer: Tokenizer, prefix: str) -> list[tuple[str, str]]:
        """What the model reads must be in the tokenizer: n-grams need ``char_ngram_max`` > 0."""
        if params["char_ngrams"] and not params["word_embedding"] and tokenizer.char_ngram_max == 0:
            return [
                (
                    f"{prefix}.char_ngrams is true but clean_tokenize.char_ngram_max is 0 (no n-grams): "
                    "the model would read nothing",
                    f"set clean_tokenize.char_ngram_max (e.g. 5), or {prefix}.word_embedding: true",
                )
            ]
        return []

    # -- what a Keras architecture supplies ------------------------------------------------------
    @abstractmethod
    def _body(self, vectors: Any, mask: Any) -> Any:
        """Token vectors ``(batch, time, dim)`` and their mask ``(batch, time)`` (``True`` on
        real tokens) → features ``(batch, features)``, with Keras layers."""

    # -- the network -------------------------------------------------------------------------------
    def _network(self) -> Any:
        """Ids (:func:`~twcs_classifier.tokenizer.network_inputs`) → inbound logit ``(batch, 1)``."""
        keras = _keras()
        from . import keras_parts as kp

        assert self.tokenizer is not None
        p, tok = self.params, self.tokenizer
        dim = p["embedding_dim"]
        # every input's first dimension is its own (texts, distinct tokens or n-grams)
        inputs = {n: keras.Input(shape=(None,) * (rank - 1), dtype="int32", name=n) for n, rank in INPUT_RANKS.items()}
        parts, reads_ngrams = [], bool(p["char_ngrams"] and tok.char_ngram_max)
        if reads_ngrams:
            ngrams = kp.NgramMean(tok.ngram_buckets + 1, dim, name="char_ngrams")
            parts.append(ngrams(inputs["ngrams"], inputs["ngram_counts"]))
        if p["word_embedding"]:
            parts.append(kp.WordVectors(tok.vocab_size, dim, name="words_embedding")(inputs["words"]))
        used = ["positions"] + (["ngrams", "ngram_counts"] if reads_ngrams else [])
        used += ["words"] if p["word_embedding"] else []
        vectors = parts[0] if len(parts) == 1 else keras.layers.Add(name="token_vectors")(parts)
        x = kp.PlaceTokens(name="place_tokens")(vectors, inputs["positions"])
        mask = kp.NotPadding(name="not_padding")(inputs["positions"])
        if p["spatial_dropout"]:
            x = keras.layers.SpatialDropout1D(p["spatial_dropout"], name="spatial_dropout")(x)
        x = self._body(x, mask)
        x = keras.layers.Dropout(p["dropout"], name="dropout")(x)
        logit = keras.layers.Dense(1, name="logit", dtype="float32")(x)
        return keras.Model([inputs[n] for n in INPUT_NAMES if n in used], logit, name="network")

    def _encoded(self, data: LabelledTexts) -> Encoded:
        """``data``'s ids (the clean_tokenize stage's when given)."""
        assert self.tokenizer is not None
        return encoded(self.tokenizer, data, with_masked=False)

    @staticmethod
    def _strategy() -> Any:
        """Mirrored over every GPU when more than one is visible; else the default."""
        tf = tensorflow()
        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()

    # -- training -----------------------------------------------------------------------------------
    def _callbacks(self, validating: bool) -> list[Any]:
        keras = _keras()
        p = self.params
        callbacks: list[Any] = []
        if validating:
            if p["ema_momentum"] > 0:
                # Validate, and keep the best weights, on the moving average of the weights.
                callbacks.append(keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
            callbacks.append(
                keras.callbacks.EarlyStopping(monitor="val_loss", patience=p["patience"], restore_best_weights=True)
            )
            if p["lr_patience"] > 0:
                callbacks.append(
                    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=p["lr_patience"])
                )
        if self.log_dir:
            from dvclive import Live
            from dvclive.keras import DVCLiveCallback

            callbacks.append(DVCLiveCallback(live=Live(self.log_dir, dvcyaml=None, save_dvc_exp=False, report=None)))
        return callbacks + self._extra_callbacks

    def _fit(self, train: LabelledTexts, validation: LabelledTexts | None) -> None:
        """Train on ids; stop early on validation loss, restoring the best weights; export."""
        if self.tokenizer is None:
            raise RuntimeError(f"a {self.kind} model needs a tokenizer (from the clean_tokenize stage)")
        tf = tensorflow()
        keras = _keras()
        from .keras_parts import LazyAdam

        p = self.params
        seed_everything(int(p["seed"]))
        on_gpu = bool(tf.config.list_physical_devices("GPU"))
        # Mixed precision only pays on a GPU; on the CPU the param is ignored.
        keras.mixed_precision.set_global_policy("mixed_float16" if p["mixed_precision"] and on_gpu else "float32")
        with self._strategy().scope():
            self.network = self._network()
            ema = float(p["ema_momentum"])
            self.network.compile(
                optimizer=LazyAdam(p["learning_rate"], use_ema=ema > 0, ema_momentum=ema if ema > 0 else 0.99),
                loss=keras.losses.BinaryCrossentropy(from_logits=True),
                metrics=[keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)],
            )
        names = [i.name for i in self.network.inputs]
        train_ds, one_pass = Feed.training(self.tokenizer, train, p).dataset(
            names, np.random.default_rng(int(p["seed"]))
        )
        validating = validation is not None and len(validation.texts) > 0
        val_ds = None
        if validating:
            assert validation is not None
            val_ds, _ = Feed.evaluation(self.tokenizer, validation, p).dataset(names, None)
        # An epoch is one pass over the training split, or epoch_size tweets when the split is
        # larger: on 90,000 tweets validation, early stopping and the learning-rate schedule
        # then act every 10,000 tweets instead of waiting for whole passes.
        steps = min(one_pass, max(1, -(-int(p["epoch_size"]) // int(p["batch_size"]))))
        hist = self.network.fit(
            train_ds.repeat() if steps < one_pass else train_ds,
            steps_per_epoch=steps if steps < one_pass else None,
            validation_data=val_ds,
            epochs=p["epochs"],
            callbacks=self._callbacks(validating),
            shuffle=False,  # the dataset shuffles itself (seeded)
            verbose=2,
        )
        self.history = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
        keras.mixed_precision.set_global_policy("float32")
        self._export()
        if validating:
            assert validation is not None
            self.check_export(self._encoded(validation))

    def _export(self) -> None:
        """Export the trained network to ONNX and serve from the export from now on."""
        assert self.tokenizer is not None
        self._onnx_bytes = export_onnx(self.network)
        self.served = OnnxNetwork(self._onnx_bytes, self.tokenizer)

    def check_export(self, encoded: Encoded) -> float:
        """The largest difference of probabilities between Keras and the ONNX export on
        ``encoded`` (:func:`~twcs_classifier.models.keras_export.check_parity`)."""
        assert self.served is not None
        return check_parity(self.network, self.served, encoded, self.params["temperature"])

    # -- predicting (through the export) ---------------------------------------------------------------
    def _runtime(self) -> OnnxNetwork:
        if self.served is None:
            raise RuntimeError(f"this {self.kind} model is not fitted: call fit() first")
        return self.served

    def logits(self, texts: list[str]) -> np.ndarray:
        """The exported network's inbound log-odds for each raw text."""
        return self._runtime().logits(texts)

    def _validation_logits(self, validation: LabelledTexts) -> np.ndarray:
        return self._runtime().logits_of(self._encoded(validation))

    @property
    def max_tokens_read(self) -> int:
        """The sequence length: the network reads a text's first this many tokens."""
        assert self.tokenizer is not None
        return self.tokenizer.sequence_length

    # -- saving and loading -----------------------------------------------------------------------------
    def _save_files(self, directory: Path) -> None:
        if self._onnx_bytes is None or self.tokenizer is None:
            raise RuntimeError(f"this {self.kind} model is not fitted: call fit() first")
        (directory / ONNX_FILE).write_bytes(self._onnx_bytes)
        self.tokenizer.save(directory / TOKENIZER_FILE)
        self.network.save(directory / KERAS_FILE)

    def _meta(self, directory: Path) -> dict[str, Any]:
        """Hashes of the served pair (a stale pair is refused at load), the runtime, and the
        sizes the network's tables were built for."""
        assert self.tokenizer is not None
        return {
            "files": {name: sha256_file(directory / name) for name in (ONNX_FILE, TOKENIZER_FILE)},
            "serving": runtime_versions(),
            "training": {"keras_file": KERAS_FILE},
        }

    @classmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> KerasClassifier:
        fix = restore_hint(directory)
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        recorded = meta.get("files") if isinstance(meta, dict) else None
        if not isinstance(recorded, dict) or ONNX_FILE not in recorded:
            raise PipelineError(
                f"the model in {directory} was saved before models were served with ONNX Runtime "
                f"(no {ONNX_FILE} in its model.json)",
                fix,
            )
        check_files(directory, recorded, fix)
        try:
            tokenizer = Tokenizer.load(directory / TOKENIZER_FILE)
        except (ValueError, KeyError, TypeError) as err:
            raise PipelineError(f"{directory / TOKENIZER_FILE} cannot be read: {err}", fix) from None
        obj = cls(tokenizer=tokenizer, **params)
        try:
            obj.served = OnnxNetwork(directory / ONNX_FILE, tokenizer)
        except Exception as err:  # noqa: BLE001 - onnxruntime raises its own error types
            raise PipelineError(f"{directory / ONNX_FILE} cannot be loaded by onnxruntime ({err})", fix) from None
        unknown = sorted(
            f"{name} ({rank} dimensions)"
            for name, rank in obj.served.input_ranks.items()
            if INPUT_RANKS.get(name) != rank
        )
        if unknown:
            raise PipelineError(
                f"{directory / ONNX_FILE} takes inputs this version does not make: {', '.join(unknown)} "
                "(a model saved by another version)",
                fix,
            )
        return obj
