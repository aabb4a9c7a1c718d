"""SimpleRNN, LSTM and GRU classifiers (Keras 3) that read sub-word pieces and are saved to
take raw strings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from ..runtime import keras as _keras
from ..runtime import seed_everything, tensorflow
from ..text import preprocess_many
from ..tokenizer import Tokenizer
from .base import LabelledTexts, TextClassifier

MODEL_FILE = "model.keras"
CELLS = ("simple_rnn", "lstm", "gru")
POOLINGS = ("max", "last")
PREDICT_BATCH = 512
"""Texts per call of the serving function; texts are sorted by length first, so each
call's padding stays short."""
BUCKET_BOUNDARIES = (9, 17, 25, 33, 49)
"""Token counts at which training batches are cut (``bucket_by_length``)."""


class RecurrentClassifier(TextClassifier):
    """Token vectors → one recurrent layer (bidirectional by default) → pooling over time →
    dropout → one logit.

    A token's vector is the mean embedding of its hashed character n-grams
    (``char_ngram_min``..``char_ngram_max``; 0 turns them off), plus, with
    ``word_embedding``, the embedding of the whole word from the clean_tokenize vocabulary.
    Sub-word pieces let the model read marks such as ``^km`` or ``@115858`` and brands it
    never saw. ``spatial_dropout`` drops whole embedding channels, ``mask_augment`` masks
    (:func:`twcs_classifier.text.mask`) that share of the training tweets afresh each epoch.

    Training, in epochs of one pass over the training split or ``epoch_size`` tweets, whichever
    is fewer: Adam on the dense weights and a lazy (row-wise) Adam on the embedding tables,
    the learning rate halved when the validation loss stalls for ``lr_patience`` epochs,
    early stopping after ``patience`` epochs without a better validation loss with the best
    weights restored, and, with ``ema_momentum`` > 0, validation and the kept weights taken
    from an exponential moving average of the weights. Then the temperature is fitted on the
    validation split.

    Saved as one ``.keras`` model: raw strings → normalise (masked first when ``mask``) →
    network → logit / temperature → sigmoid. ``simple_rnn``, ``lstm`` and ``gru`` differ only
    by ``cell``. The plain word-level design is ``char_ngram_max: 0``,
    ``word_embedding: true``, ``bidirectional: false``, ``pooling: last``.
    """

    kind: ClassVar[str] = "recurrent"
    defaults: ClassVar[Mapping[str, Any]] = {
        "cell": "gru",
        "bidirectional": True,
        "pooling": "max",
        "char_ngram_min": 2,
        "char_ngram_max": 5,
        "ngram_buckets": 2**18,
        "word_embedding": False,
        "embedding_dim": 48,
        "units": 32,
        "spatial_dropout": 0.3,
        "dropout": 0.5,
        "mask_augment": 0.3,
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
        "cell": {"choices": CELLS},
        "pooling": {"choices": POOLINGS},
        "char_ngram_min": {"ge": 1},
        "char_ngram_max": {"ge": 0},
        "ngram_buckets": {"ge": 1},
        "embedding_dim": {"ge": 1},
        "units": {"ge": 1},
        "spatial_dropout": {"ge": 0.0, "lt": 1.0},
        "dropout": {"ge": 0.0, "lt": 1.0},
        "mask_augment": {"ge": 0.0, "le": 1.0},
        "epochs": {"ge": 1},
        "epoch_size": {"ge": 1},
        "batch_size": {"ge": 1},
        "learning_rate": {"gt": 0.0},
        "patience": {"ge": 0},
        "lr_patience": {"ge": 0},
        "ema_momentum": {"ge": 0.0, "lt": 1.0},
    }
    needs_tokenizer: ClassVar[bool] = True
    importance_explanation: ClassVar[str] = (
        "For each word, how much the log-odds of *inbound* drop when that word is left out "
        "(negative: they rise, so the word pushes towards *outbound*)."
    )

    def __init__(self, tokenizer: Tokenizer | None = None, log_dir: str | None = None, **params: Any) -> None:
        super().__init__(log_dir, **params)
        self.tokenizer = tokenizer
        self.network: Any = None  # normalised strings -> inbound logit
        self.model: Any = None  # raw strings -> inbound probability (what is saved)
        self._serve: Any = None
        self._extra_callbacks: list[Any] = []  # e.g. a benchmark's epoch timer

    @classmethod
    def param_problems(cls, params: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
        """An input to read (n-grams or whole words), and n-gram sizes that make a range."""
        problems = []
        if not params["char_ngram_max"] and not params["word_embedding"]:
            problems.append(
                (
                    f"{prefix} has no input: char_ngram_max is 0 and word_embedding is false",
                    f"set {prefix}.char_ngram_max (e.g. 5) or {prefix}.word_embedding: true",
                )
            )
        if params["char_ngram_max"] and params["char_ngram_min"] > params["char_ngram_max"]:
            problems.append(
                (
                    f"{prefix}.char_ngram_min ({params['char_ngram_min']}) is above "
                    f"{prefix}.char_ngram_max ({params['char_ngram_max']})",
                    "use char_ngram_min <= char_ngram_max (e.g. 2 and 5), or char_ngram_max: 0 to turn n-grams off",
                )
            )
        return problems

    # -- building -------------------------------------------------------------------------
    def _network(self) -> Any:
        """Normalised texts ``(batch,)`` → inbound logit ``(batch, 1)``."""
        tensorflow()
        keras = _keras()
        from . import keras_parts as kp

        assert self.tokenizer is not None
        p = self.params
        dim = p["embedding_dim"]
        text = keras.Input(shape=(), dtype="string", name="clean_text")
        tokens = kp.Tokens(self.tokenizer.sequence_length, name="tokens")(text)
        parts = []
        if p["char_ngram_max"]:
            parts.append(
                kp.CharNgramEmbedding(
                    p["char_ngram_min"], p["char_ngram_max"], p["ngram_buckets"], dim, name="char_ngrams"
                )(tokens)
            )
        if p["word_embedding"]:
            parts.append(kp.WordEmbedding(self.tokenizer.vocabulary[2:], dim, name="words")(tokens))
        x = parts[0] if len(parts) == 1 else keras.layers.Add(name="token_vectors")(parts)
        if p["spatial_dropout"]:
            x = keras.layers.SpatialDropout1D(p["spatial_dropout"], name="spatial_dropout")(x)
        layer = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[p["cell"]]
        rnn = layer(p["units"], return_sequences=p["pooling"] == "max", name=p["cell"])
        if p["bidirectional"]:
            rnn = keras.layers.Bidirectional(rnn, name=f"bidirectional_{p['cell']}")
        x = rnn(x)
        if p["pooling"] == "max":
            x = kp.MaskedGlobalMaxPooling1D(name="max_over_time")(x)
        x = keras.layers.Dropout(p["dropout"], name="dropout")(x)
        logit = keras.layers.Dense(1, name="logit", dtype="float32")(x)
        return keras.Model(text, logit, name=f"{p['cell']}_network")

    def _on_raw_text(self, head: Any = None) -> Any:
        """The network behind this model's :class:`~.keras_parts.Standardize` layer: raw
        strings ``(batch, 1)`` → logit, or → ``head(logit)``."""
        keras = _keras()
        from .keras_parts import Standardize

        text = keras.Input(shape=(1,), dtype="string", name="text")
        logit = self.network(Standardize(self.params["mask"], name="standardize")(text))
        return keras.Model(text, head(logit) if head else logit, name=f"{self.params['cell']}_classifier")

    def _export(self) -> Any:
        """The saved model: raw strings → (mask →) normalise → network → logit / temperature
        → probability."""
        keras = _keras()

        def head(logit: Any) -> Any:
            scaled = keras.layers.Rescaling(1.0 / self.params["temperature"], name="temperature")(logit)
            return keras.layers.Activation("sigmoid", name="p_inbound")(scaled)

        return self._on_raw_text(head)

    def _lengths(self, data: LabelledTexts) -> np.ndarray:
        """Tokens each text is read with (at least 1): from the clean_tokenize stage's
        token ids when given, else by normalising the texts."""
        assert self.tokenizer is not None
        if data.token_ids is not None:
            counts = np.count_nonzero(np.asarray(data.token_ids), axis=1)
        else:
            clean = preprocess_many(data.texts, self.params["mask"])
            counts = np.array([len(t.split(" ")) if t else 0 for t in clean])
        return np.clip(counts, 1, self.tokenizer.sequence_length).astype(np.int32)

    def _dataset(self, texts: Sequence[str], lengths: np.ndarray, y: np.ndarray, shuffle: bool) -> Any:
        """Batches of (raw texts ``(batch, 1)``, labels). In training (``shuffle``), a
        ``mask_augment`` share of the texts is masked, drawn afresh each epoch. With
        ``bucket_by_length`` tweets of similar length are batched together, so the
        recurrent loop steps through little padding."""
        tf = tensorflow()
        from .keras_parts import random_mask

        p = self.params
        seed = int(p["seed"])
        ds = tf.data.Dataset.from_tensor_slices((np.array(list(texts), dtype=object), y, lengths))
        if shuffle:
            ds = ds.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True)
        if shuffle and p["mask_augment"] > 0:
            draws = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
            ds = tf.data.Dataset.zip((ds, draws)).map(
                lambda item, draw: (*random_mask(item[0], item[1], draw, float(p["mask_augment"])), item[2])
            )
        batch = int(p["batch_size"])
        if p["bucket_by_length"]:
            seq_len = self.tokenizer.sequence_length if self.tokenizer is not None else int(lengths.max())
            bounds = [b for b in BUCKET_BOUNDARIES if b <= seq_len]
            ds = ds.bucket_by_sequence_length(
                element_length_func=lambda text, label, n: n,
                bucket_boundaries=bounds,
                bucket_batch_sizes=[batch] * (len(bounds) + 1),
                padded_shapes=([], [], []),
            )
            # Each bucket yields ceil(size / batch) batches whatever the order, so the number
            # of batches is known; telling tf.data lets Keras count epochs without warnings.
            sizes = np.bincount(np.searchsorted(bounds, lengths, side="right"), minlength=len(bounds) + 1)
            n_batches = int(np.sum(-(-sizes // batch)))
        else:
            ds = ds.batch(batch)
            n_batches = -(-len(texts) // batch)
        ds = ds.map(lambda text, label, n: (text[:, None], label))
        return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(tf.data.AUTOTUNE)

    @staticmethod
    def _strategy() -> Any:
        """Mirrored over every GPU when more than one is visible; else the default."""
        tf = tensorflow()
        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()

    # -- training ---------------------------------------------------------------------------
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
        """Train on raw texts; stop early on validation loss, restoring the best weights."""
        if self.tokenizer is None:
            raise RuntimeError("a recurrent model needs a tokenizer (from the clean_tokenize stage)")
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
            trainer = self._on_raw_text()
            ema = float(p["ema_momentum"])
            trainer.compile(
                optimizer=LazyAdam(p["learning_rate"], use_ema=ema > 0, ema_momentum=ema if ema > 0 else 0.99),
                loss=keras.losses.BinaryCrossentropy(from_logits=True),
                metrics=[keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)],
            )
        y = np.asarray(train.labels, dtype=np.float32)
        train_ds = self._dataset(train.texts, self._lengths(train), y, shuffle=True)
        val_ds = None
        validating = validation is not None and len(validation.texts) > 0
        if validating:
            yv = np.asarray(validation.labels, dtype=np.float32)
            val_ds = self._dataset(validation.texts, self._lengths(validation), yv, shuffle=False)
        # An epoch is one pass over the training split, or epoch_size tweets when the split is
        # larger: on 90,000 tweets validation, early stopping and the learning-rate schedule
        # then act every 10,000 tweets instead of waiting for whole passes.
        one_pass = int(train_ds.cardinality())
        steps = min(one_pass, max(1, -(-int(p["epoch_size"]) // int(p["batch_size"]))))
        # The dataset shuffles itself (seeded); shuffle=False stops Keras warning about it.
        hist = trainer.fit(
            train_ds.repeat() if steps < one_pass else train_ds,
            steps_per_epoch=steps if steps < one_pass else None,
            validation_data=val_ds,
            epochs=p["epochs"],
            callbacks=self._callbacks(validating),
            shuffle=False,
            verbose=2,
        )
        self.history = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
        keras.mixed_precision.set_global_policy("float32")
        self.network = self._rebuilt(self.network)

    @staticmethod
    def _rebuilt(network: Any) -> Any:
        """The same network with new variables holding the trained values. The lazy
        optimizer's row updates leave TensorFlow reading a whole embedding table at each
        use; fresh variables are read row by row again (single-tweet latency: ~12 ms → ~2 ms)."""
        keras = _keras()
        fresh = keras.Model.from_config(network.get_config())
        fresh.set_weights(network.get_weights())
        return fresh

    def fit(self, train: LabelledTexts, validation: LabelledTexts | None = None) -> Self:
        """Train and calibrate (:meth:`TextClassifier.fit`), then export the raw-string model
        with the temperature inside."""
        super().fit(train, validation)
        self.model = self._export()
        self._serve = None
        return self

    # -- predicting ---------------------------------------------------------------------------
    def _serving_fn(self) -> Any:
        """A traced function over the saved model's layers, raw strings → inbound logit:
        ~ms per call, no Keras predict loop."""
        if self.network is None:
            raise RuntimeError("this recurrent model is not fitted: call fit() first")
        tf = tensorflow()
        if self._serve is None:
            from .keras_parts import Standardize

            standardize = Standardize(self.params["mask"])
            network = self.network
            self._serve = tf.function(
                lambda text: network(standardize(text), training=False),
                input_signature=[tf.TensorSpec([None, 1], tf.string)],
            )
        return self._serve

    def logits(self, texts: list[str]) -> np.ndarray:
        """The network's inbound log-odds for each raw text. Texts go through in batches of
        similar length (sorted by characters), so short tweets are not padded to the longest."""
        tf = tensorflow()
        fn = self._serving_fn()
        order = np.argsort([len(t) for t in texts], kind="stable")
        out = np.empty(len(texts), dtype=np.float64)
        for start in range(0, len(texts), PREDICT_BATCH):
            rows = order[start : start + PREDICT_BATCH]
            chunk = tf.constant([texts[i] for i in rows], dtype=tf.string)[:, None]
            out[rows] = fn(chunk).numpy().reshape(-1)
        return out

    def predict_proba_clean(self, clean_texts: Sequence[str]) -> np.ndarray:
        """Probabilities of (outbound, inbound) from already-normalised texts (the
        clean_tokenize stage's ``clean_text``), computed by the network alone: what the parity
        test compares with :meth:`predict_proba` on raw texts."""
        tf = tensorflow()
        logits = self.network(tf.constant(list(clean_texts), dtype=tf.string), training=False).numpy().reshape(-1)
        return self.proba_from_logits(logits)

    def token_importance(self, text: str) -> list[tuple[str, float]]:
        """For each token, how much the inbound log-odds drop when it is left out
        (negative: leaving it out raises them, so it pushes towards outbound). Tokens
        past the model's sequence length are never read and score 0."""
        tokens = [t for t in preprocess_many([text], self.params["mask"])[0].split(" ") if t]
        if not tokens:
            return []
        read = min(len(tokens), self.max_tokens_read)
        variants = [" ".join(tokens)] + [" ".join(tokens[:i] + tokens[i + 1 :]) for i in range(read)]
        # Log-odds as served (scaled by the temperature), not via probabilities, which round
        # to 0 or 1 for confident predictions.
        logit = self.logits(variants) / self.params["temperature"]
        return [(tok, float(logit[0] - logit[i + 1]) if i < read else 0.0) for i, tok in enumerate(tokens)]

    @property
    def max_tokens_read(self) -> int:
        """The sequence length: the network reads a text's first this many tokens."""
        if self.tokenizer is not None:
            return self.tokenizer.sequence_length
        return int(self.network.get_layer("tokens").sequence_length)

    # -- saving -------------------------------------------------------------------------------
    def _save_files(self, directory: Path) -> None:
        if self.model is None:
            raise RuntimeError("this recurrent model is not fitted: call fit() first")
        self.model.save(directory / MODEL_FILE)

    @classmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> RecurrentClassifier:
        from . import keras_parts  # noqa: F401  (registers the layers the file names)

        obj = cls(**params)
        obj.model = _keras().models.load_model(directory / MODEL_FILE, compile=False)
        obj.network = obj.model.get_layer(f"{obj.params['cell']}_network")
        return obj
