"""SimpleRNN, LSTM and GRU classifiers (Keras 3): one recurrent layer over the token vectors
of :class:`~twcs_classifier.models.keras_model.KerasClassifier`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from ..runtime import keras as _keras
from .keras_model import KerasClassifier

CELLS = ("simple_rnn", "lstm", "gru")
POOLINGS = ("max", "last")


class RecurrentClassifier(KerasClassifier):
    """Token vectors → one recurrent layer (``cell``; bidirectional by default) → pooling
    over time (the maximum over the real steps, or the last state).

    ``simple_rnn``, ``lstm`` and ``gru`` differ only by ``cell``. The plain word-level design
    is ``char_ngrams: false``, ``word_embedding: true``, ``bidirectional: false``,
    ``pooling: last``. Everything else (inputs, training, export, serving) is
    :class:`~twcs_classifier.models.keras_model.KerasClassifier`'s.
    """

    kind: ClassVar[str] = "recurrent"
    defaults: ClassVar[Mapping[str, Any]] = {
        "cell": "gru",
        "bidirectional": True,
        "pooling": "max",
        "units": 32,
        **KerasClassifier.defaults,
    }
    constraints: ClassVar[Mapping[str, Mapping[str, Any]]] = {
        "cell": {"choices": CELLS},
        "pooling": {"choices": POOLINGS},
        "units": {"ge": 1},
        **KerasClassifier.constraints,
    }

    def _body(self, vectors: Any, mask: Any) -> Any:
        keras = _keras()
        from .keras_parts import MaskedGlobalMaxPooling1D

        p = self.params
        layer = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[p["cell"]]
        rnn = layer(p["units"], return_sequences=p["pooling"] == "max", name=p["cell"])
        if p["bidirectional"]:
            rnn = keras.layers.Bidirectional(rnn, name=f"bidirectional_{p['cell']}")
        x = rnn(vectors, mask=mask)
        if p["pooling"] == "max":
            x = MaskedGlobalMaxPooling1D(name="max_over_time")(x, mask)
        return x
