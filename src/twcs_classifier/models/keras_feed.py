"""Feeding a Keras model: a split's token ids in batches of network inputs, and in training
the two augmentations, each drawn afresh every epoch from a seeded generator.

- ``mask_augment``: that share of the training tweets is fed as its masked ids.
- ``sign_off_augment``: that share of the training tweets that end in an agent's sign-off
  (:data:`~twcs_classifier.text.SIGN_OFF`) and are not fed masked is fed with the sign-off
  respelled (:func:`~twcs_classifier.text.respell_sign_off`: another mark, other initials),
  so no brand's mark or agent's initials carry the label, only the pattern does.
  :data:`RESPELLINGS` respellings of each such tweet are drawn and encoded once, when the
  feed is made, with the model's tokenizer onto the split's own piece table
  (:meth:`~twcs_classifier.tokenizer.Tokenizer.encode_onto`): no string work per epoch, and
  every batch's inputs come from one table.

Validation and every evaluation are fed as they are, in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..runtime import tensorflow
from ..text import SIGN_OFF, respell_sign_off
from ..tokenizer import INPUT_RANKS, Encoded, Tokenizer, network_inputs
from .base import LabelledTexts

SORT_WINDOW = 32
"""With ``bucket_by_length``, training batches are cut from windows of this many batches'
worth of tweets sorted by length."""
RESPELLINGS = 4
"""Respellings encoded for each training tweet with a sign-off; an epoch feeds one of them."""
ORIGINAL, MASKED, RESPELLED = 0, 1, 2
"""What a tweet is fed as in an epoch: its ids, its masked ids, or (``RESPELLED + k``) its
``k``-th respelling."""
_RESPELL_STREAM = 16
"""Mixed into the seed of the respellings' generator, apart from the epochs' generator."""


def encoded(tokenizer: Tokenizer, data: LabelledTexts, with_masked: bool) -> Encoded:
    """The clean_tokenize stage's ids when given, else the texts encoded here (the same
    functions)."""
    if data.encoded is not None:
        return data.encoded
    return tokenizer.encode(data.texts, with_masked=with_masked)


def batch_order(
    lengths: np.ndarray, batch_size: int, bucket_by_length: bool, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Batches of text indexes: shuffled (``rng``) or in order, and with
    ``bucket_by_length`` cut from length-sorted windows (less padding per batch)."""
    index = rng.permutation(len(lengths)) if rng is not None else np.arange(len(lengths))
    if bucket_by_length and len(index):
        window = batch_size * SORT_WINDOW
        windows = np.array_split(index, -(-len(index) // window))
        index = np.concatenate([w[np.argsort(lengths[w], kind="stable")] for w in windows])
    batches = [index[i : i + batch_size] for i in range(0, len(index), batch_size)]
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


@dataclass(frozen=True)
class Feed:
    """A split as the network is fed it: its ids (``encoded``, on a table that also holds the
    respellings' tokens), labels, each text's respelled ids (``respelled``; none for a text
    without a sign-off, and none outside training), the batch size, length bucketing, and the
    shares of the two augmentations (0 outside training)."""

    encoded: Encoded
    labels: np.ndarray
    respelled: Sequence[Sequence[np.ndarray]]
    batch_size: int
    bucket_by_length: bool
    mask_share: float = 0.0
    respell_share: float = 0.0

    @classmethod
    def evaluation(cls, tokenizer: Tokenizer, data: LabelledTexts, params: Mapping[str, Any]) -> Feed:
        """Validation: the ids as they are, never augmented."""
        ids = encoded(tokenizer, data, with_masked=False)
        return cls(ids, np.asarray(data.labels), [()] * len(ids), int(params["batch_size"]), params["bucket_by_length"])

    @classmethod
    def training(cls, tokenizer: Tokenizer, data: LabelledTexts, params: Mapping[str, Any]) -> Feed:
        """The training split with its augmentations (``mask_augment``, ``sign_off_augment``);
        the respellings are drawn from a generator seeded with ``params["seed"]``. A tokenizer
        that masks text has no sign-offs to respell."""
        mask_share, respell_share = float(params["mask_augment"]), float(params["sign_off_augment"])
        ids = encoded(tokenizer, data, with_masked=mask_share > 0)
        respelled: list[Sequence[np.ndarray]] = [()] * len(ids)
        if respell_share > 0 and not tokenizer.mask:
            ids, respelled = _respell(tokenizer, data.texts, ids, int(params["seed"]))
        masked_share = mask_share if ids.masked_rows is not None else 0.0
        batch_size, bucket = int(params["batch_size"]), params["bucket_by_length"]
        return cls(ids, np.asarray(data.labels), respelled, batch_size, bucket, masked_share, respell_share)

    def __len__(self) -> int:
        return len(self.encoded)

    @property
    def lengths(self) -> np.ndarray:
        """Each text's number of tokens read."""
        return np.array([len(r) for r in self.encoded.rows], dtype=np.int64)

    def epoch(self, rng: np.random.Generator | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """One pass: batches of (text indexes, what each is fed as: :data:`ORIGINAL`,
        :data:`MASKED` or :data:`RESPELLED` + k), drawn afresh from ``rng``; without ``rng``
        in order and as they are."""
        n, lengths = len(self), self.lengths
        source = np.full(n, ORIGINAL, dtype=np.int64)
        if rng is not None and self.mask_share > 0:
            source[rng.random(n) < self.mask_share] = MASKED
        order = batch_order(lengths, self.batch_size, self.bucket_by_length, rng)
        counts = np.array([len(r) for r in self.respelled], dtype=np.int64)
        if rng is not None and self.respell_share > 0 and counts.any():
            pick = (rng.random(n) < self.respell_share) & (counts > 0) & (source == ORIGINAL)
            source[pick] = RESPELLED + rng.integers(0, np.maximum(counts, 1))[pick]
        return [(index, source[index]) for index in order]

    def rows(self, index: np.ndarray, source: np.ndarray) -> list[np.ndarray]:
        """The table rows of the texts at ``index``, each fed as ``source`` says."""
        e = self.encoded
        return [
            e.rows[i] if s == ORIGINAL else e.masked_rows[i] if s == MASKED else self.respelled[i][s - RESPELLED]  # type: ignore[index]
            for i, s in zip(index, source)
        ]

    def dataset(self, names: Sequence[str], rng: np.random.Generator | None) -> tuple[Any, int]:
        """A ``tf.data`` pipeline of (network inputs named ``names``, labels) batches and its
        batches per pass; each pass is :meth:`epoch` drawn from ``rng`` (``None``: in order)."""
        tf = tensorflow()
        y = np.asarray(self.labels, dtype=np.float32)
        n_batches = len(batch_order(self.lengths, self.batch_size, self.bucket_by_length, None))

        def passes() -> Iterator[tuple[dict[str, np.ndarray], np.ndarray]]:
            for index, source in self.epoch(rng):
                inputs = network_inputs(self.encoded.table, self.rows(index, source))
                yield {n: inputs[n] for n in names}, y[index]

        ids = {n: tf.TensorSpec([None] * INPUT_RANKS[n], tf.int32) for n in names}
        signature = (ids, tf.TensorSpec([None], tf.float32))
        ds = tf.data.Dataset.from_generator(passes, output_signature=signature)
        return ds.apply(tf.data.experimental.assert_cardinality(n_batches)).prefetch(2), n_batches


def _respell(
    tokenizer: Tokenizer, texts: Sequence[str], ids: Encoded, seed: int
) -> tuple[Encoded, list[Sequence[np.ndarray]]]:
    """``ids`` on a table extended by the tokens of :data:`RESPELLINGS` respellings of each of
    ``texts`` that ends in a sign-off, and each text's rows of its respellings (none without
    one), drawn from a generator seeded with ``seed``."""
    respelled: list[Sequence[np.ndarray]] = [()] * len(ids)
    signed = [i for i, t in enumerate(texts) if SIGN_OFF.search(t)]
    if not signed:
        return ids, respelled
    rng = np.random.default_rng([seed, _RESPELL_STREAM])
    table, rows = tokenizer.encode_onto(
        ids.table, [respell_sign_off(texts[i], rng) for i in signed for _ in range(RESPELLINGS)]
    )
    for n, i in enumerate(signed):
        respelled[i] = rows[n * RESPELLINGS : (n + 1) * RESPELLINGS]
    return Encoded(table, ids.rows, ids.masked_rows), respelled
