"""The Keras pieces of the Keras models (training only: serving runs the exported ONNX file).

The network reads the ids of :func:`twcs_classifier.tokenizer.network_inputs`:

- :class:`NgramMean`: the distinct tokens' n-gram ids ``(N,)`` and each token's count
  ``(U,)`` → the mean of each token's n-gram embeddings ``(U, dim)``
  (fastText-style), so an unseen brand or a sign-off like ``^km`` is made of familiar pieces;
- :class:`WordVectors`: each distinct token's word id ``(U,)`` → its embedding ``(U, dim)``;
- :class:`PlaceTokens`: the distinct tokens' vectors and ``positions`` ``(B, T)`` → the
  vectors of each text ``(B, T, dim)`` (position 0 is padding: a zero vector);
- :class:`ReverseReal`: each text's real steps in reverse order (padding stays at the end),
  so a recurrent layer reads a text backwards without a mask;
- :class:`LastReal`: each text's output at its last real step;
- :class:`MaskedGlobalMaxPooling1D`: the maximum over the real (unpadded) time steps.

And :class:`LazyAdam`: Adam that updates just the rows of an embedding table that a batch
touched, instead of all 2^18 rows every step.

Importing this module starts TensorFlow (through :mod:`twcs_classifier.runtime`).
"""

from __future__ import annotations

from typing import Any

from ..runtime import keras as _keras
from ..runtime import tensorflow

tf = tensorflow()
keras = _keras()

PACKAGE = "twcs_classifier"
register = keras.saving.register_keras_serializable(package=PACKAGE)


def _sparse_variable(variable: Any) -> Any:
    """The ``tf.Variable`` behind a Keras variable. Gathering rows from it reads only those
    rows (and its gradient is a ``tf.IndexedSlices``, which :class:`LazyAdam` applies row by
    row); converting the Keras variable to a tensor reads the whole table on every call."""
    return variable.value if isinstance(variable, keras.Variable) else variable


class _Table(keras.layers.Layer):
    """An embedding table of ``rows`` × ``dim``."""

    def __init__(self, rows: int = 1, dim: int = 48, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows, self.dim = int(rows), int(dim)

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            name="table", shape=(self.rows, self.dim), initializer=keras.initializers.RandomUniform(-0.05, 0.05)
        )

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rows": self.rows, "dim": self.dim}


@register
class NgramMean(_Table):
    """n-gram ids ``(N,)`` (the distinct tokens' n-grams, one token's after another, no
    padding) and ``counts`` ``(U,)`` (each token's number of n-grams) → the mean of each
    token's n-gram embeddings ``(U, dim)``; a token with no n-gram gets zeros. ``rows`` is
    ``ngram_buckets + 1`` (row 0 is never read).

    Two ways to the same sums: in training, a segment sum (fast in TensorFlow); in the ONNX
    export (:attr:`exporting`), each token's sum as the difference of two rows of the running
    sum in float64 (``CumSum``). onnxruntime has no segment sum, tf2onnx pads a segment sum
    into a grid as large as the one this layer avoids, and onnxruntime's ``ScatterND`` with
    ``reduction="add"`` loses updates when its threads add to one row at once (seen: 7 of 300
    runs of one batch on 2 busy cores). The export is checked against Keras after training."""

    exporting: bool = False
    """Whether the layer is being traced for the ONNX export."""

    def call(self, ngrams: Any, counts: Any) -> Any:
        vectors = tf.gather(_sparse_variable(self.table), ngrams)
        if self.exporting:
            running = tf.cumsum(tf.cast(vectors, tf.float64), axis=0)
            running = tf.concat([tf.zeros_like(running[:1]), running], axis=0)
            ends = tf.cumsum(counts)
            sums = tf.cast(tf.gather(running, ends) - tf.gather(running, ends - counts), vectors.dtype)
        else:
            tokens = tf.repeat(tf.range(tf.shape(counts)[0]), counts)
            sums = tf.math.unsorted_segment_sum(vectors, tokens, tf.shape(counts)[0])
        return sums / tf.cast(tf.maximum(counts, 1), vectors.dtype)[:, None]

    def compute_output_shape(self, ngrams_shape: Any, counts_shape: Any) -> tuple[Any, ...]:
        return (counts_shape[0], self.dim)


@register
class WordVectors(_Table):
    """Word ids ``(U,)`` → embeddings ``(U, dim)``; ``rows`` is the vocabulary size (out-of-
    vocabulary words share row 1)."""

    def call(self, words: Any) -> Any:
        return tf.gather(_sparse_variable(self.table), words)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0], self.dim)


@register
class PlaceTokens(keras.layers.Layer):
    """Distinct tokens' vectors ``(U, dim)`` and ``positions`` ``(B, T)`` (1..U, 0 pads) →
    ``(B, T, dim)``, zeros on padding."""

    def call(self, vectors: Any, positions: Any) -> Any:
        padded = tf.concat([tf.zeros_like(vectors[:1]), vectors], axis=0)
        return tf.gather(padded, positions)

    def compute_output_shape(self, vectors_shape: Any, positions_shape: Any) -> tuple[Any, ...]:
        return (*positions_shape, vectors_shape[-1])


def _real_lengths(real: Any) -> Any:
    """``real`` ``(B, T)`` (a prefix of each row is ``True``) → each row's length ``(B,)``."""
    return tf.reduce_sum(tf.cast(real, tf.int32), axis=1)


@register
class ReverseReal(keras.layers.Layer):
    """``(batch, time, features)`` and ``real`` ``(batch, time)`` (the real steps come first)
    → each text's real steps reversed, its padding left at the end. A recurrent layer run
    unmasked over this reads each text backwards from its last token, with exactly the
    states a masked backward layer has at those steps (``ReverseSequence`` in ONNX)."""

    def call(self, inputs: Any, real: Any) -> Any:
        return tf.reverse_sequence(inputs, _real_lengths(real), seq_axis=1, batch_axis=0)

    def compute_output_shape(self, inputs_shape: Any, real_shape: Any) -> tuple[Any, ...]:
        return tuple(inputs_shape)


@register
class LastReal(keras.layers.Layer):
    """``(batch, time, features)`` and ``real`` ``(batch, time)`` → the output at each text's
    last real step ``(batch, features)``; zeros for a text with none."""

    def call(self, inputs: Any, real: Any) -> Any:
        lengths = _real_lengths(real)
        last = tf.gather(inputs, tf.maximum(lengths - 1, 0), axis=1, batch_dims=1)
        return tf.where(lengths[:, None] > 0, last, tf.zeros_like(last))

    def compute_output_shape(self, inputs_shape: Any, real_shape: Any) -> tuple[Any, ...]:
        return (inputs_shape[0], inputs_shape[2])


@register
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """``(batch, time, features)`` and ``real`` ``(batch, time)`` → ``(batch, features)``: the
    maximum over the time steps marked real, so padding (and hence the other texts
    of a batch) cannot change a text's result; a text with no step pools to zeros."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True  # it takes the mask explicitly (``real``) and ends it

    def compute_mask(self, *args: Any, **kwargs: Any) -> None:
        return None

    def call(self, inputs: Any, real: Any) -> Any:
        highest = tf.reduce_max(tf.where(real[:, :, None], inputs, tf.cast(-1e9, inputs.dtype)), axis=1)
        return tf.where(tf.reduce_any(real, axis=1)[:, None], highest, tf.zeros_like(highest))

    def compute_output_shape(self, inputs_shape: Any, real_shape: Any) -> tuple[Any, ...]:
        return (inputs_shape[0], inputs_shape[2])


@register
class NotPadding(keras.layers.Layer):
    """``positions`` ``(B, T)`` → ``True`` where a token stands."""

    def call(self, positions: Any) -> Any:
        return tf.greater(positions, 0)

    def compute_output_spec(self, positions: Any) -> Any:
        return keras.KerasTensor(positions.shape, dtype="bool")


class LazyAdam(keras.optimizers.Adam):
    """Adam whose moments and updates touch only the rows a batch used, for embedding
    tables (their gradients arrive as ``tf.IndexedSlices``); every other variable gets the
    plain Adam step. As in TensorFlow Addons' LazyAdam, a row's moments decay only when it
    is used. On a 2^18-row table this makes a training step several times faster."""

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if not isinstance(gradient, tf.IndexedSlices):
            return super().update_step(gradient, variable, learning_rate)
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        alpha = tf.cast(learning_rate, dtype) * tf.sqrt(1 - tf.pow(beta_2, step)) / (1 - tf.pow(beta_1, step))
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        rows, position = tf.unique(gradient.indices)
        grad = tf.math.unsorted_segment_sum(tf.cast(gradient.values, dtype), position, tf.shape(rows)[0])
        m_rows = beta_1 * tf.gather(_sparse_variable(m), rows) + (1 - beta_1) * grad
        v_rows = beta_2 * tf.gather(_sparse_variable(v), rows) + (1 - beta_2) * tf.square(grad)
        self.assign(m, tf.IndexedSlices(m_rows, rows))
        self.assign(v, tf.IndexedSlices(v_rows, rows))
        self.assign_sub(variable, tf.IndexedSlices(alpha * m_rows / (tf.sqrt(v_rows) + self.epsilon), rows))
