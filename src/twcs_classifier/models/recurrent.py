"""SimpleRNN, LSTM and GRU classifiers (Keras 3) that are saved to take raw strings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from ..runtime import keras as _keras
from ..runtime import seed_everything, tensorflow
from ..text import as_text_list, preprocess_many
from ..tokenizer import Tokenizer, register_standardizers
from .base import LabelledTexts, TextClassifier

MODEL_FILE = "model.keras"
CELLS = ("simple_rnn", "lstm", "gru")
PREDICT_BATCH = 1024


class RecurrentClassifier(TextClassifier):
    """Embedding (masking padding) → one recurrent layer → dropout → sigmoid.

    Trained on the token ids of the clean_tokenize stage, with early stopping on
    validation loss (best weights restored), then calibrated by temperature scaling
    on the validation split. Saved as one ``.keras`` model: its first layer normalises
    (and, with ``mask``, masks) and tokenises raw strings with the training
    vocabulary; its last layers divide the logit by the temperature and apply the
    sigmoid.
    """

    kind: ClassVar[str] = "recurrent"
    defaults: ClassVar[Mapping[str, Any]] = {
        "cell": "gru",
        "embedding_dim": 64,
        "units": 64,
        "dropout": 0.3,
        "epochs": 5,
        "batch_size": 256,
        "learning_rate": 2e-3,
        "patience": 1,
        "bucket_by_length": True,
        "mixed_precision": False,
    }
    constraints: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "cell": {"choices": CELLS},
        "embedding_dim": {"ge": 1},
        "units": {"ge": 1},
        "dropout": {"ge": 0.0, "lt": 1.0},
        "epochs": {"ge": 1},
        "batch_size": {"ge": 1},
        "learning_rate": {"gt": 0.0},
        "patience": {"ge": 0},
    }
    needs_tokenizer: ClassVar[bool] = True
    importance_explanation: ClassVar[str] = (
        "For each word, how much the log-odds of *inbound* drop when that word is left out "
        "(negative: they rise, so the word pushes towards *outbound*)."
    )

    def __init__(self, tokenizer: Tokenizer | None = None, log_dir: str | None = None, **params: Any) -> None:
        super().__init__(log_dir, **params)  # the cell is one of CELLS (constraints)
        self.tokenizer = tokenizer
        self.network: Any = None  # token ids -> inbound logit
        self.model: Any = None  # raw strings -> inbound probability (what is saved)
        self.history: dict[str, list[float]] = {}
        self._serve: Any = None
        self._extra_callbacks: list[Any] = []  # e.g. a benchmark's epoch timer

    # -- building -------------------------------------------------------------------------
    def _network(self, vocab_size: int) -> Any:
        """Token ids (any length, 0 = padding) → inbound logit."""
        tensorflow()
        keras = _keras()
        p = self.params
        layer = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[p["cell"]]
        ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
        x = keras.layers.Embedding(vocab_size, p["embedding_dim"], mask_zero=True, name="embedding")(ids)
        x = layer(p["units"], name=p["cell"])(x)
        x = keras.layers.Dropout(p["dropout"], name="dropout")(x)
        logit = keras.layers.Dense(1, name="logit", dtype="float32")(x)
        return keras.Model(ids, logit, name=f"{p['cell']}_network")

    def _dataset(self, x: np.ndarray, y: np.ndarray, shuffle: bool) -> Any:
        """Batches of (token ids, label). With ``bucket_by_length`` tweets of similar
        length are batched together and each batch is cut to a bucket boundary, so the
        recurrent loop does not step through padding."""
        tf = tensorflow()
        p = self.params
        ds = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle:
            ds = ds.shuffle(len(x), seed=int(p["seed"]), reshuffle_each_iteration=True)
        if not p["bucket_by_length"]:
            return ds.batch(p["batch_size"]).prefetch(tf.data.AUTOTUNE)
        seq_len = int(x.shape[1])
        bounds = sorted({b for b in (9, 17, 25, 33, 49) if b <= seq_len} | {seq_len + 1})
        ds = ds.map(lambda ids, label: (ids[: tf.maximum(tf.math.count_nonzero(ids, dtype=tf.int32), 1)], label))
        ds = ds.bucket_by_sequence_length(
            element_length_func=lambda ids, label: tf.shape(ids)[0],
            bucket_boundaries=bounds[:-1],
            bucket_batch_sizes=[p["batch_size"]] * len(bounds),
            padded_shapes=([None], []),
            pad_to_bucket_boundary=False,
        )
        # Each bucket yields ceil(size / batch) batches whatever the order, so the number
        # of batches is known; telling tf.data lets Keras count epochs without warnings.
        lengths = np.maximum(np.count_nonzero(x, axis=1), 1)
        sizes = np.bincount(np.searchsorted(bounds[:-1], lengths, side="right"), minlength=len(bounds))
        n_batches = int(np.sum(-(-sizes // p["batch_size"])))
        return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(tf.data.AUTOTUNE)

    @staticmethod
    def _strategy() -> Any:
        """Mirrored over every GPU when more than one is visible; else the default."""
        tf = tensorflow()
        if len(tf.config.list_physical_devices("GPU")) > 1:
            return tf.distribute.MirroredStrategy()
        return tf.distribute.get_strategy()

    def _export(self) -> Any:
        """Wrap the trained network: raw strings → (mask →) normalise → token ids →
        logit / temperature → probability."""
        tensorflow()
        keras = _keras()
        assert self.tokenizer is not None
        text = keras.Input(shape=(1,), dtype="string", name="text")
        ids = self.tokenizer.layer(raw_text=True)(text)
        logit = self.network(ids)
        scaled = keras.layers.Rescaling(1.0 / self.params["temperature"], name="temperature")(logit)
        prob = keras.layers.Activation("sigmoid", name="p_inbound")(scaled)
        return keras.Model(text, prob, name=f"{self.params['cell']}_classifier")

    # -- training ---------------------------------------------------------------------------
    def _ids(self, data: LabelledTexts) -> np.ndarray:
        if data.token_ids is not None:
            return np.asarray(data.token_ids, dtype=np.int32)
        if self.tokenizer is None:
            raise RuntimeError("a recurrent model needs a tokenizer (from the clean_tokenize stage)")
        return self.tokenizer.encode(preprocess_many(as_text_list(data.texts), self.tokenizer.mask))

    def _fit(self, train: LabelledTexts, validation: LabelledTexts | None) -> None:
        """Train on token ids; stop early on validation loss, restoring the best weights."""
        if self.tokenizer is None:
            raise RuntimeError("a recurrent model needs a tokenizer (from the clean_tokenize stage)")
        tf = tensorflow()
        keras = _keras()
        p = self.params
        seed_everything(int(p["seed"]))
        on_gpu = bool(tf.config.list_physical_devices("GPU"))
        # Mixed precision only pays on a GPU; on the CPU the param is ignored.
        keras.mixed_precision.set_global_policy("mixed_float16" if p["mixed_precision"] and on_gpu else "float32")
        with self._strategy().scope():
            self.network = self._network(self.tokenizer.vocab_size)
            self.network.compile(
                optimizer=keras.optimizers.Adam(p["learning_rate"]),
                loss=keras.losses.BinaryCrossentropy(from_logits=True),
                metrics=[keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)],
            )
        x = self._ids(train)
        y = np.asarray(train.labels, dtype=np.float32)
        train_ds = self._dataset(x, y, shuffle=True)
        val_ds = None
        callbacks: list[Any] = []
        if validation is not None and len(validation.texts):
            xv = self._ids(validation)
            yv = np.asarray(validation.labels, dtype=np.float32)
            val_ds = self._dataset(xv, yv, shuffle=False)
            callbacks.append(
                keras.callbacks.EarlyStopping(monitor="val_loss", patience=p["patience"], restore_best_weights=True)
            )
        if self.log_dir:
            from dvclive import Live
            from dvclive.keras import DVCLiveCallback

            callbacks.append(DVCLiveCallback(live=Live(self.log_dir, dvcyaml=None, save_dvc_exp=False, report=None)))
        callbacks += self._extra_callbacks
        # The dataset shuffles itself (seeded); shuffle=False stops Keras warning about it.
        hist = self.network.fit(
            train_ds, validation_data=val_ds, epochs=p["epochs"], callbacks=callbacks, shuffle=False, verbose=2
        )
        self.history = {k: [float(v) for v in vs] for k, vs in hist.history.items()}
        keras.mixed_precision.set_global_policy("float32")

    def _validation_logits(self, validation: LabelledTexts) -> np.ndarray:
        """The network's log-odds on the validation token ids (what it was trained on)."""
        return self._network_logits(self._ids(validation))

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
        if self.model is None:
            raise RuntimeError("this recurrent model is not fitted: call fit() first")
        tf = tensorflow()
        if self._serve is None:
            vectorize, network = self.model.get_layer("vectorize"), self.network
            self._serve = tf.function(
                lambda text: network(vectorize(text), training=False),
                input_signature=[tf.TensorSpec([None, 1], tf.string)],
            )
        return self._serve

    def logits(self, texts: list[str]) -> np.ndarray:
        """The network's inbound log-odds for each raw text (normalised and tokenised by the
        saved model's own vectorize layer)."""
        tf = tensorflow()
        fn = self._serving_fn()
        out = []
        for start in range(0, len(texts), PREDICT_BATCH):
            chunk = tf.constant(texts[start : start + PREDICT_BATCH], dtype=tf.string)[:, None]
            out.append(fn(chunk).numpy().reshape(-1))
        return np.concatenate(out).astype(np.float64)

    def _network_logits(self, token_ids: np.ndarray) -> np.ndarray:
        tf = tensorflow()
        return self.network(tf.constant(np.asarray(token_ids, dtype=np.int32)), training=False).numpy().reshape(-1)

    def predict_proba_ids(self, token_ids: np.ndarray) -> np.ndarray:
        """Probabilities of (outbound, inbound) computed from token ids by the trained
        network (what the parity test compares with :meth:`predict_proba`)."""
        return self.proba_from_logits(self._network_logits(token_ids))

    def token_importance(self, text: str) -> list[tuple[str, float]]:
        """For each token, how much the inbound log-odds drop when it is left out
        (negative: leaving it out raises them, so it pushes towards outbound). Tokens
        past the model's sequence length are never read and score 0."""
        tokens = [t for t in preprocess_many([text], self.params["mask"])[0].split(" ") if t]
        if not tokens:
            return []
        read = min(len(tokens), self._sequence_length())
        variants = [" ".join(tokens)] + [" ".join(tokens[:i] + tokens[i + 1 :]) for i in range(read)]
        p = np.clip(self.predict_proba(variants)[:, 1], 1e-7, 1 - 1e-7)
        logit = np.log(p) - np.log1p(-p)
        return [(tok, float(logit[0] - logit[i + 1]) if i < read else 0.0) for i, tok in enumerate(tokens)]

    def _sequence_length(self) -> int:
        if self.tokenizer is not None:
            return self.tokenizer.sequence_length
        return int(self.model.get_layer("vectorize").get_config()["output_sequence_length"])

    # -- saving -------------------------------------------------------------------------------
    def _save_files(self, directory: Path) -> None:
        if self.model is None:
            raise RuntimeError("this recurrent model is not fitted: call fit() first")
        self.model.save(directory / MODEL_FILE)

    @classmethod
    def _load_files(cls, directory: Path, params: dict[str, Any]) -> RecurrentClassifier:
        register_standardizers()
        obj = cls(**params)
        obj.model = _keras().models.load_model(directory / MODEL_FILE, compile=False)
        obj.network = obj.model.get_layer(f"{obj.params['cell']}_network")
        return obj
