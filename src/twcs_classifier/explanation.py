"""Which words of a text push a model towards *inbound* or *outbound*: Shapley values over
the words, one method for every model.

The method only calls :meth:`~twcs_classifier.models.base.TextClassifier.logits` on texts
with some words removed, so it explains any model behind the interface, whatever runs it.

- **Players** are the words of the text as a person reads them (:func:`~twcs_classifier.text.words`):
  the tokens the model reads (the text masked when ``model.params["mask"]``, normalised by
  :func:`~twcs_classifier.text.preprocess_many`, split on spaces) grouped by the run of text
  between whitespace they were written in, so "us!" is one word of two tokens, and an agent's
  trailing sign-off ("^JK", "-LT", "- LT") is one word. Only the first
  :attr:`~twcs_classifier.models.base.TextClassifier.max_tokens_read` tokens are read: a word
  with none of them read is no player and scores 0; a word cut by that limit plays with the
  tokens read.
- **A removed word is dropped**: all its tokens go, and the model is given the remaining
  tokens joined by spaces. Every model reads texts of any length, and an absent token is the
  one input none of them reads anything into; a placeholder token would itself be read (the
  recurrent models embed any string by its character n-grams, the logistic regression scores
  its n-grams). Normalising and masking an already normalised token string gives it back
  unchanged (checked on the full text at each call: :func:`check_exact`), so the model reads
  exactly the tokens kept. The empty text is the baseline.
- **The value** of a set of words is the model's log-odds of *inbound* as served (divided by
  the model's temperature) for the text of their tokens alone.
- **A word's score** is its Shapley value: its marginal effect on the value, averaged over
  the orders in which the words can be added to the empty text. A word's tokens are never
  scored apart: the mark and initials of a sign-off, which the models read together (the
  initials alone read much like any short word), score as the one word a person sees. Words
  the model reads together share their joint effect, where leaving one word out at a time
  credits each with the other's interaction. The scores add up exactly (Shapley efficiency) to
  the log-odds of the text read minus those of the empty text: positive pushes towards
  *inbound*, negative towards *outbound*.

With at most :data:`EXACT_MAX_WORDS` words every subset is evaluated and the values are
exact. Longer texts are sampled: pairs of random orders and their reverses (antithetic
sampling), as many as ``evaluations`` model evaluations allow (at least one pair); every
order's marginal effects add up to the same total, so the sampled scores keep efficiency
exactly. All the texts go to the model in one :meth:`logits` call. The random orders are
seeded from the text, so a text always gets the same scores.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from math import factorial
from typing import Any, Protocol

import numpy as np

from .text import preprocess_many, words


class Model(Protocol):
    """What the explanation reads of a model (a
    :class:`~twcs_classifier.models.base.TextClassifier` is one): its params (``mask``,
    ``temperature``), how many tokens it reads, and its logits for raw texts. A protocol, so this
    module imports nothing of the models package, which imports it."""

    params: dict[str, Any]

    @property
    def max_tokens_read(self) -> int | None: ...

    def logits(self, texts: list[str]) -> np.ndarray: ...


DEFAULT_EVALUATIONS = 480
"""Model evaluations per explanation (texts given to the model): a 40-token tweet gets six
antithetic pairs of orders (12 orders, 470 texts) when each token is a word of its own, more orders
for fewer words. ``benchmarks/explanation_faithfulness.py``
measures what that costs and how close it comes to many orders."""
EXACT_MAX_WORDS = 8
"""Up to this many words, the Shapley values are computed exactly from all 2**n subsets."""
EXPLANATION = (
    "Each word's Shapley value: its effect on the log-odds of *inbound*, averaged over the orders in which "
    "the words can be added to an empty text (over a sample of orders for a text of more than "
    f"{EXACT_MAX_WORDS} words). A word is what is written between spaces, punctuation and all, and a "
    "sign-off (^JK, -LT) is one word. The scores add up to the log-odds of the whole text minus those of an "
    "empty one."
)
"""What the scores mean, in a sentence for people (every model's ``importance_explanation``)."""

Value = Callable[[np.ndarray], np.ndarray]
"""A value function: boolean masks ``(k, n)`` (which tokens are kept) → values ``(k,)``."""


@dataclass(frozen=True)
class WordScores:
    """A text's words and their Shapley values (log-odds of *inbound*, as served)."""

    words: list[tuple[str, ...]]
    """Every word of the text (:func:`~twcs_classifier.text.words`): its tokens as the model reads
    them (normalised, masked if the model masks)."""
    scores: np.ndarray
    """One score per word; 0 for the words past :attr:`read`."""
    read: int
    """How many words, from the start, the model reads (the last may be cut: it plays with the
    tokens read) and are scored."""
    full: float
    """The log-odds of *inbound* for the tokens read (the text as the model reads it)."""
    empty: float
    """The log-odds of *inbound* for the empty text: ``scores.sum() == full - empty``."""
    evaluations: int
    """How many texts the model was given."""
    orders: int | None
    """How many random orders were sampled; ``None``: exact (every subset)."""

    @property
    def texts(self) -> list[str]:
        """Each word as shown: its tokens written together (``^jk``, ``us!``)."""
        return ["".join(word) for word in self.words]

    @property
    def tokens(self) -> list[str]:
        """Every token of the text, in order (the words' tokens)."""
        return [t for word in self.words for t in word]

    def pairs(self) -> list[tuple[str, float]]:
        """(word as shown, score) for every word, in text order."""
        return list(zip(self.texts, self.scores.tolist()))


@dataclass(frozen=True)
class Shapley:
    """Shapley values of ``n`` players and what they were computed from."""

    values: np.ndarray
    empty: float
    """The value of no player."""
    full: float
    """The value of every player: ``values.sum() == full - empty`` (efficiency)."""
    evaluations: int
    """How many distinct subsets were evaluated."""
    orders: int | None
    """How many orders were sampled; ``None``: exact."""


def exact_shapley(value: Value, n: int) -> Shapley:
    """Exact Shapley values of ``n`` (>= 1) players from all ``2**n`` subsets."""
    codes = np.arange(1 << n)
    bits = (codes[:, None] >> np.arange(n)) & 1
    v = value(bits.astype(bool))
    size = bits.sum(axis=1)
    weight = np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = codes[bits[:, i] == 0]
        phi[i] = np.sum(weight[size[without]] * (v[without | (1 << i)] - v[without]))
    return Shapley(phi, float(v[0]), float(v[-1]), len(codes), None)


def order_masks(orders: np.ndarray) -> np.ndarray:
    """For each order of ``n`` players (rows of ``orders``), the masks of its first
    1..n-1 players: shape ``(len(orders), n - 1, n)``."""
    n = orders.shape[1]
    rank = np.empty_like(orders)
    np.put_along_axis(rank, orders, np.arange(n)[None, :], axis=1)
    return rank[:, None, :] < np.arange(1, n)[None, :, None]


def sampled_shapley(value: Value, n: int, pairs: int, rng: np.random.Generator) -> Shapley:
    """Shapley values of ``n`` (>= 2) players estimated from ``pairs`` random orders and their
    reverses. Each order's marginal effects sum to ``value(all) - value(none)``, so the
    estimate does too. A subset met in more than one order is evaluated once."""
    forward = np.stack([rng.permutation(n) for _ in range(pairs)])
    orders = np.concatenate([forward, forward[:, ::-1]])
    ends = np.array([np.zeros(n, bool), np.ones(n, bool)])
    masks = np.concatenate([ends, order_masks(orders).reshape(-1, n)])
    _, first, inverse = np.unique(np.packbits(masks, axis=1), axis=0, return_index=True, return_inverse=True)
    v = value(masks[first])[inverse.reshape(-1)]
    chain = np.column_stack([np.full(len(orders), v[0]), v[2:].reshape(len(orders), n - 1), np.full(len(orders), v[1])])
    marginal = np.diff(chain, axis=1)  # marginal[o, k]: the effect of adding player orders[o, k]
    phi = np.zeros(n)
    np.add.at(phi, orders.reshape(-1), marginal.reshape(-1))
    return Shapley(phi / len(orders), float(v[0]), float(v[1]), len(first), len(orders))


def shapley_values(value: Value, n: int, evaluations: int, rng: np.random.Generator) -> Shapley:
    """Shapley values of ``n`` (>= 1) players under ``value``: exact up to
    :data:`EXACT_MAX_WORDS` players, else sampled from as many antithetic pairs of orders as
    ``evaluations`` allow (at least one pair)."""
    if n <= EXACT_MAX_WORDS:
        return exact_shapley(value, n)
    return sampled_shapley(value, n, max(1, (evaluations - 2) // (2 * (n - 1))), rng)


def model_words(model: Model, text: str) -> list[tuple[str, ...]]:
    """The words of ``text`` (:func:`~twcs_classifier.text.words`) as ``model`` reads them:
    masked when it masks."""
    return words(text, bool(model.params.get("mask", False)))


def check_exact(model: Model, tokens: list[str]) -> None:
    """The joined tokens must read back as themselves (normalising and masking a normalised
    token string is the identity), or the model would not be given the tokens kept."""
    joined = " ".join(tokens)
    again = preprocess_many([joined], bool(model.params.get("mask", False)))[0]
    if again != joined:
        raise ValueError(f"normalising the tokens again changes them ({joined!r} -> {again!r})")


def text_seed(tokens: list[str], seed: int) -> list[int]:
    """The seed of a text's random orders: ``seed`` and a CRC-32 of its tokens."""
    return [seed, zlib.crc32(" ".join(tokens).encode("utf-8", "surrogatepass"))]


def word_scores(model: Model, text: str, evaluations: int = DEFAULT_EVALUATIONS, seed: int = 0) -> WordScores:
    """The Shapley value of each word of ``text`` for ``model`` (see the module's docstring):
    log-odds of *inbound* as served (divided by the temperature), positive towards *inbound*;
    they add up to ``full - empty``. Deterministic for a given text, ``evaluations`` and ``seed``."""
    all_words = model_words(model, text)
    limit = model.max_tokens_read
    players: list[tuple[str, ...]] = []
    left = sum(map(len, all_words)) if limit is None else limit
    for word in all_words:
        if left <= 0:
            break
        players.append(word[:left])
        left -= len(word)
    read = len(players)
    scores = np.zeros(len(all_words))
    if read == 0:
        return WordScores(all_words, scores, 0, 0.0, 0.0, 0, None)
    tokens = [t for word in players for t in word]
    check_exact(model, tokens)
    joined = np.array([" ".join(word) for word in players], dtype=object)
    temperature = float(model.params.get("temperature", 1.0))

    def value(masks: np.ndarray) -> np.ndarray:
        texts = [" ".join(joined[m]) for m in masks]
        return np.asarray(model.logits(texts), dtype=np.float64).reshape(-1) / temperature

    result = shapley_values(value, read, evaluations, np.random.default_rng(text_seed(tokens, seed)))
    scores[:read] = result.values
    return WordScores(all_words, scores, read, result.full, result.empty, result.evaluations, result.orders)
