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
        """The recurrent layers run unmasked, which exports to a plainer and faster ONNX loop:
        a text's real tokens come first, so the forward layer's outputs at the real steps are
        what a masked layer gives, and the backward layer reads each text's real steps
        reversed (:class:`~twcs_classifier.models.keras_parts.ReverseReal`). Pooling reads
        only the real steps: the maximum over them (the order of the steps does not matter to
        it, so the backward outputs are not reversed again), or the output at the last one."""
        keras = _keras()
        from .keras_parts import LastReal, MaskedGlobalMaxPooling1D, ReverseReal

        p = self.params
        layer = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[p["cell"]]
        outputs = [layer(p["units"], return_sequences=True, name=p["cell"])(vectors)]
        if p["bidirectional"]:
            backwards = ReverseReal(name="backwards")(vectors, mask)
            outputs.append(layer(p["units"], return_sequences=True, name=f"{p['cell']}_backward")(backwards))
        if p["pooling"] == "max":
            x = outputs[0] if len(outputs) == 1 else keras.layers.Concatenate(name="both_directions")(outputs)
            return MaskedGlobalMaxPooling1D(name="max_over_time")(x, mask)
        states = [LastReal(name=f"last_{i}")(out, mask) for i, out in enumerate(outputs)]
        return states[0] if len(states) == 1 else keras.layers.Concatenate(name="both_directions")(states)
