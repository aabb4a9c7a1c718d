"""The Keras pieces of the recurrent models.

Layers that work on strings inside a saved model, so a ``.keras`` file takes raw tweets:

- :class:`Standardize`: raw text → normalised text (masked first, if the model reads masked
  text), with the rules of :mod:`twcs_classifier.text`;
- :class:`Tokens`: normalised text → a ``(batch, time)`` grid of tokens, ``""`` padding;
- :class:`CharNgramEmbedding`: each token → the mean of the embeddings of its hashed
  character n-grams (fastText-style), so an unseen brand or a sign-off like ``^km`` is made
  of familiar pieces;
- :class:`WordEmbedding`: each token → the embedding of the word, from the training
  vocabulary (out-of-vocabulary words share one vector);
- :class:`MaskedGlobalMaxPooling1D`: the maximum over the real (unpadded) time steps.

And :class:`LazyAdam`, used in training only: Adam that updates just the rows of an
embedding table that a batch touched, instead of all 2^18 rows every step.

Importing this module starts TensorFlow (through :mod:`twcs_classifier.runtime`) and
registers the layers with Keras, which loading a saved model needs.
"""

from __future__ import annotations

from typing import Any

from ..runtime import keras as _keras
from ..runtime import tensorflow
from ..text import tf_mask, tf_mask_normalise, tf_normalise

tf = tensorflow()
keras = _keras()

PACKAGE = "twcs_classifier"
register = keras.saving.register_keras_serializable(package=PACKAGE)


def _sparse_variable(variable: Any) -> Any:
    """The ``tf.Variable`` behind a Keras variable. Gathering rows from it reads only those
    rows; converting the Keras variable to a tensor reads (and, once the variable has been
    updated sparsely, copies) the whole table on every call."""
    return variable.value if isinstance(variable, keras.Variable) else variable


@register
class Standardize(keras.layers.Layer):
    """Raw texts of shape ``(batch,)`` or ``(batch, 1)`` → normalised texts ``(batch,)``:
    :func:`~twcs_classifier.text.tf_normalise`, after
    :func:`~twcs_classifier.text.tf_mask` when ``masked``."""

    def __init__(self, masked: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.masked = bool(masked)

    def call(self, texts: Any) -> Any:
        texts = tf.reshape(texts, [-1])
        return tf_mask_normalise(texts) if self.masked else tf_normalise(texts)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "masked": self.masked}


@register
class Tokens(keras.layers.Layer):
    """Normalised texts ``(batch,)`` → tokens ``(batch, time)``: split on single spaces, cut
    to the first ``sequence_length`` tokens, padded with ``""`` to the longest text of the
    batch. The padding is the Keras mask, so the layers after it skip it."""

    def __init__(self, sequence_length: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)

    def call(self, texts: Any) -> Any:
        tokens = tf.strings.split(tf.reshape(texts, [-1]), sep=" ")[:, : self.sequence_length].to_tensor("")
        # A batch of empty texts still gets one (padding) step, so the time axis is never empty.
        return tf.pad(tokens, [[0, 0], [0, tf.maximum(1 - tf.shape(tokens)[1], 0)]], constant_values="")

    def compute_mask(self, texts: Any, mask: Any = None) -> Any:
        return None

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0], None)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "sequence_length": self.sequence_length}


def token_mask(tokens: Any) -> Any:
    """``True`` where ``tokens`` holds a token, ``False`` on padding."""
    return keras.ops.not_equal(tokens, "")


@register
class CharNgramEmbedding(keras.layers.Layer):
    """Tokens ``(batch, time)`` → vectors ``(batch, time, dim)``: the mean of the embeddings
    of the token's character n-grams (``ngram_min`` to ``ngram_max`` characters, of the
    token between ``<`` and ``>``, its first ``max_chars`` characters), each hashed into one
    of ``buckets`` rows. Each distinct token of a batch is embedded once."""

    def __init__(
        self,
        ngram_min: int = 2,
        ngram_max: int = 5,
        buckets: int = 2**18,
        dim: int = 64,
        max_chars: int = 32,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ngram_min, self.ngram_max = int(ngram_min), int(ngram_max)
        self.buckets, self.dim, self.max_chars = int(buckets), int(dim), int(max_chars)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            name="table", shape=(self.buckets, self.dim), initializer=keras.initializers.RandomUniform(-0.05, 0.05)
        )

    def call(self, tokens: Any) -> Any:
        shape = tf.shape(tokens)
        distinct, where = tf.unique(tf.reshape(tokens, [-1]))
        chars = tf.strings.unicode_split(tf.strings.join(["<", distinct, ">"]), "UTF-8", errors="replace")
        grams = tf.strings.ngrams(
            chars[:, : self.max_chars + 2], ngram_width=list(range(self.ngram_min, self.ngram_max + 1)), separator=""
        )
        # Every token has its "<x>" n-grams at least when ngram_min <= 3; a shorter piece than
        # ngram_min has none, and its row of the mean stays zero.
        rows = tf.strings.to_hash_bucket_fast(grams.values, self.buckets)
        vectors = tf.gather(_sparse_variable(self.table), rows)
        pooled = tf.math.unsorted_segment_mean(vectors, grams.value_rowids(), tf.shape(distinct)[0])
        return tf.reshape(tf.gather(pooled, where), [shape[0], shape[1], self.dim])

    def compute_mask(self, tokens: Any, mask: Any = None) -> Any:
        return token_mask(tokens)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (*input_shape, self.dim)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "ngram_min": self.ngram_min,
            "ngram_max": self.ngram_max,
            "buckets": self.buckets,
            "dim": self.dim,
            "max_chars": self.max_chars,
        }


@register
class WordEmbedding(keras.layers.Layer):
    """Tokens ``(batch, time)`` → vectors ``(batch, time, dim)`` from a fixed vocabulary;
    words outside it share one vector, padding has its own (masked) row."""

    def __init__(self, vocabulary: list[str] | tuple[str, ...] = (), dim: int = 64, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vocabulary = list(vocabulary)
        self.dim = int(dim)
        self.lookup = keras.layers.StringLookup(vocabulary=self.vocabulary, mask_token="", num_oov_indices=1)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self.table = self.add_weight(
            name="table",
            shape=(len(self.vocabulary) + 2, self.dim),
            initializer=keras.initializers.RandomUniform(-0.05, 0.05),
        )

    def call(self, tokens: Any) -> Any:
        return tf.gather(_sparse_variable(self.table), self.lookup(tokens))

    def compute_mask(self, tokens: Any, mask: Any = None) -> Any:
        return token_mask(tokens)

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (*input_shape, self.dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocabulary": self.vocabulary, "dim": self.dim}


@register
class MaskedGlobalMaxPooling1D(keras.layers.Layer):
    """``(batch, time, features)`` → ``(batch, features)``: the maximum over the time steps
    the mask marks as real, so padding (and hence the other texts of a batch) cannot change
    a text's result."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return tf.reduce_max(inputs, axis=1)
        highest = tf.reduce_max(tf.where(mask[:, :, None], inputs, tf.cast(-1e9, inputs.dtype)), axis=1)
        # A text with no token at all (blank) pools to zeros, not to the fill value.
        return tf.where(tf.reduce_any(mask, axis=1)[:, None], highest, tf.zeros_like(highest))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return (input_shape[0], input_shape[2])


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


def random_mask(texts: Any, labels: Any, draw: Any, probability: float) -> tuple[Any, Any]:
    """Mask (:func:`~twcs_classifier.text.tf_mask`) the raw text of a training example when
    ``draw`` (a random int64) falls below ``probability``; a ``tf.data`` map function."""
    u = tf.cast(tf.math.floormod(draw, 1_000_000), tf.float32) / 1_000_000.0
    return tf.cond(u < probability, lambda: tf_mask(texts), lambda: texts), labels
