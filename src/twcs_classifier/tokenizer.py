"""Text → ids: the one implementation, in plain Python (no TensorFlow).

A tweet is masked (when the model reads masked text), normalised
(:func:`twcs_classifier.text.preprocess_many`), split on spaces and cut to its first
``sequence_length`` tokens. Each token has

- a **word id** from the vocabulary learnt on the training split (0 pads, 1 is
  out-of-vocabulary), and
- its **n-gram ids**: the character n-grams (``char_ngram_min``..``char_ngram_max``
  characters) of ``"<token>"`` (its first ``max_chars`` characters), each hashed with CRC-32
  into ``1..ngram_buckets`` (0 pads). CRC-32 is the same on every machine and in every
  Python run, unlike ``hash()``.

The clean_tokenize stage writes these ids for every split (:meth:`Tokenizer.encode`); the
Keras models train on them, and serving computes the same ids for raw texts with the same
functions (:meth:`Tokenizer.encode` then :func:`network_inputs`). The tokenizer file
(:meth:`Tokenizer.save`) travels with each saved model.

Network inputs are built per batch with each distinct token looked up once: ``ngrams``
``(N,)`` (the n-gram ids of the batch's ``U`` distinct tokens, one token's after another, no
padding), ``ngram_counts`` ``(U,)`` (how many n-grams each distinct token has), ``words``
``(U,)`` (their word ids) and ``positions`` ``(B, T)`` (for each text, which distinct token
stands at each step: 1..U, 0 pads).
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from .text import preprocess_many

PAD, OOV = "", "[UNK]"
FORMAT = 2
"""Version of the tokenizer file. 1: a vocabulary for a TensorFlow string graph (no n-gram
settings); 2: this module's ids."""
MAX_CHARS = 32
"""Characters of a token that its n-grams are taken from (a longer token is cut)."""
INPUT_RANKS = {"ngrams": 1, "ngram_counts": 1, "words": 1, "positions": 2}
"""The arrays :func:`network_inputs` gives, by the names of the network's inputs, and the
number of dimensions of each."""
INPUT_NAMES = tuple(INPUT_RANKS)


@lru_cache(maxsize=1 << 17)
def token_ngram_ids(token: str, ngram_min: int, ngram_max: int, buckets: int, max_chars: int = MAX_CHARS) -> tuple:
    """The hashed n-gram ids (``1..buckets``) of one token: every ``ngram_min``..``ngram_max``
    character piece of ``"<" + token[:max_chars] + ">"``, CRC-32 of its UTF-8 bytes modulo
    ``buckets``, plus 1. A token too short for ``ngram_min`` has none.

    >>> token_ngram_ids("hi", 2, 3, 1000)
    (707, 373, 867, 542, 8)
    """
    if ngram_max <= 0:
        return ()
    s = f"<{token[:max_chars]}>"
    n = len(s)
    return tuple(
        zlib.crc32(s[i : i + w].encode("utf-8")) % buckets + 1
        for w in range(ngram_min, ngram_max + 1)
        for i in range(n - w + 1)
    )


@dataclass(frozen=True)
class PieceTable:
    """Distinct tokens and their ids: the n-gram ids of token ``i`` are
    ``ngram_ids[ngram_offsets[i]:ngram_offsets[i + 1]]``, its word id ``word_ids[i]``."""

    tokens: tuple[str, ...]
    ngram_offsets: np.ndarray
    ngram_ids: np.ndarray
    word_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.tokens)

    def ngrams_of(self, i: int) -> np.ndarray:
        """The n-gram ids of token ``i``."""
        return self.ngram_ids[self.ngram_offsets[i] : self.ngram_offsets[i + 1]]


@dataclass(frozen=True)
class Encoded:
    """Texts as ids: a :class:`PieceTable` and, per text, the table rows of the tokens the
    model reads (``rows``) and of its masked text (``masked_rows``, for ``mask_augment``;
    ``None`` when not asked for)."""

    table: PieceTable
    rows: list[np.ndarray]
    masked_rows: list[np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def subset(self, index: Sequence[int] | np.ndarray) -> Encoded:
        """The texts at ``index`` (the table is shared)."""
        rows = [self.rows[i] for i in index]
        masked = None if self.masked_rows is None else [self.masked_rows[i] for i in index]
        return Encoded(self.table, rows, masked)


@dataclass(frozen=True)
class Tokenizer:
    """A vocabulary (index 0 pads, 1 is out-of-vocabulary), a sequence length, whether raw
    text is masked first, and the n-gram settings."""

    vocabulary: tuple[str, ...]
    sequence_length: int
    mask: bool = False
    """Whether raw text is masked (:func:`twcs_classifier.text.mask`) before normalising."""
    char_ngram_min: int = 2
    char_ngram_max: int = 5
    """Character n-gram sizes; ``char_ngram_max: 0`` gives no n-grams (words only)."""
    ngram_buckets: int = 2**18
    """n-gram ids run ``1..ngram_buckets`` (0 pads): the rows of a model's n-gram table, less one."""
    max_chars: int = MAX_CHARS
    format: int = field(default=FORMAT)

    @property
    def vocab_size(self) -> int:
        """Number of word ids, padding and OOV included."""
        return len(self.vocabulary)

    @cached_property
    def _word_index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocabulary) if i >= 2}

    # -- text → tokens → ids ------------------------------------------------------------------
    def tokens(self, raw_texts: Sequence[str], masked: bool | None = None) -> list[list[str]]:
        """The tokens the model reads of each raw text: masked (when ``masked``, by default
        :attr:`mask`), normalised, split, cut to ``sequence_length``."""
        clean = preprocess_many(raw_texts, self.mask if masked is None else masked)
        return [c.split(" ")[: self.sequence_length] if c else [] for c in clean]

    def table(self, tokens: Iterable[str]) -> PieceTable:
        """The ids of each of ``tokens`` (distinct tokens, in the order given)."""
        tokens = tuple(tokens)
        grams = [
            token_ngram_ids(t, self.char_ngram_min, self.char_ngram_max, self.ngram_buckets, self.max_chars)
            for t in tokens
        ]
        lengths = np.fromiter((len(g) for g in grams), dtype=np.int64, count=len(grams))
        offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = np.fromiter(itertools.chain.from_iterable(grams), dtype=np.int32, count=int(offsets[-1]))
        index = self._word_index
        words = np.fromiter((index.get(t, 1) for t in tokens), dtype=np.int32, count=len(tokens))
        return PieceTable(tokens, offsets, flat, words)

    def encode(self, raw_texts: Sequence[str], with_masked: bool = False) -> Encoded:
        """Raw texts → :class:`Encoded`: the table of their distinct tokens and each text's
        rows of it; with ``with_masked``, the rows of each text's masked form too."""
        token_lists = self.tokens(raw_texts)
        masked_lists = self.tokens(raw_texts, masked=True) if with_masked else []
        table, rows = self._rows_onto(None, token_lists + masked_lists)
        n = len(token_lists)
        return Encoded(table, rows[:n], rows[n:] if with_masked else None)

    def encode_onto(self, table: PieceTable, raw_texts: Sequence[str]) -> tuple[PieceTable, list[np.ndarray]]:
        """Raw texts → rows of ``table`` extended by the tokens it lacks: the extended table
        (``table``'s rows first, unchanged, so ids already encoded against it stay valid; the
        new tokens after them, with ids from :meth:`table`) and each text's rows of it."""
        return self._rows_onto(table, self.tokens(raw_texts))

    def _rows_onto(self, table: PieceTable | None, token_lists: list[list[str]]) -> tuple[PieceTable, list[np.ndarray]]:
        """``table`` (``None``: an empty one) extended by the tokens of ``token_lists`` it
        lacks, in the order first met, and each list's rows of it."""
        where = {t: i for i, t in enumerate(table.tokens)} if table is not None else {}
        known = len(where)
        for tokens in token_lists:
            for t in tokens:
                if t not in where:
                    where[t] = len(where)
        if table is None:
            table = self.table(where)
        elif len(where) > known:
            extra = self.table(itertools.islice(where, known, None))
            table = PieceTable(
                table.tokens + extra.tokens,
                np.concatenate([table.ngram_offsets, extra.ngram_offsets[1:] + table.ngram_offsets[-1]]),
                np.concatenate([table.ngram_ids, extra.ngram_ids]),
                np.concatenate([table.word_ids, extra.word_ids]),
            )
        return table, [np.array([where[t] for t in tokens], dtype=np.int32) for tokens in token_lists]

    # -- the file ------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the tokenizer as JSON."""
        data = asdict(self)
        data["vocabulary"] = list(self.vocabulary)
        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read a tokenizer written by :meth:`save`; a file of another format version is a
        :class:`ValueError` that says so."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format", 1) if isinstance(data, dict) else "?"
            raise ValueError(f"{path} is a tokenizer file of format {found}, this version reads format {FORMAT}")
        return cls(
            vocabulary=tuple(data["vocabulary"]),
            sequence_length=int(data["sequence_length"]),
            mask=bool(data["mask"]),
            char_ngram_min=int(data["char_ngram_min"]),
            char_ngram_max=int(data["char_ngram_max"]),
            ngram_buckets=int(data["ngram_buckets"]),
            max_chars=int(data["max_chars"]),
        )


def network_inputs(table: PieceTable, rows: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    """The network's inputs for a batch of texts given as rows of ``table``: each distinct
    token once, in table order (``ngrams`` ``(N,)``, their n-gram ids one token's after
    another, no padding; ``ngram_counts`` ``(U,)``, how many each token has; ``words``
    ``(U,)``, their word ids), and ``positions``
    ``(B, T)`` (1..U, 0 pads; ``T`` is the longest text, at least 1).

    >>> tok = Tokenizer(("", "[UNK]", "hi"), 4, char_ngram_min=2, char_ngram_max=2, ngram_buckets=100)
    >>> enc = tok.encode(["hi hi yo", ""])
    >>> x = network_inputs(enc.table, enc.rows)
    >>> x["positions"].tolist(), x["words"].tolist(), x["ngram_counts"].tolist(), len(x["ngrams"])
    ([[1, 1, 2], [0, 0, 0]], [2, 1], [3, 3], 6)
    """
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    flat = np.concatenate(rows) if len(rows) else np.zeros(0, dtype=np.int32)
    distinct, inverse = np.unique(flat, return_inverse=True)
    positions = np.zeros((len(rows), max(int(lengths.max(initial=0)), 1)), dtype=np.int32)
    row_of = np.repeat(np.arange(len(rows)), lengths)
    col_of = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions[row_of, col_of] = inverse.astype(np.int32) + 1
    starts = table.ngram_offsets[distinct]
    counts = table.ngram_offsets[distinct + 1] - starts
    firsts = np.cumsum(counts) - counts  # where each token's n-grams start in ``ngrams``
    gather = np.arange(int(counts.sum())) + np.repeat(starts - firsts, counts)
    return {
        "ngrams": table.ngram_ids[gather].astype(np.int32, copy=False),
        "ngram_counts": counts.astype(np.int32),
        "words": table.word_ids[distinct],
        "positions": positions,
    }


def input_token_ngrams(inputs: dict[str, np.ndarray], k: int) -> np.ndarray:
    """The n-gram ids of the ``k``-th distinct token (0-based; ``positions`` holds ``k + 1``)
    of :func:`network_inputs`'s ``inputs``."""
    ends = np.cumsum(inputs["ngram_counts"])
    return inputs["ngrams"][ends[k] - inputs["ngram_counts"][k] : ends[k]]


def adapt_tokenizer(
    clean_train_texts: Sequence[str],
    max_tokens: int,
    sequence_length: int,
    mask: bool = False,
    char_ngram_min: int = 2,
    char_ngram_max: int = 5,
    ngram_buckets: int = 2**18,
) -> Tokenizer:
    """Learn the vocabulary from normalised training texts (never from validation or test).

    Tokens are ordered by frequency, ties broken alphabetically, so the same texts
    always give the same ids.
    """
    if max_tokens < 3:
        raise ValueError("clean_tokenize.max_tokens must be at least 3 (padding, OOV and one word)")
    if sequence_length < 1:
        raise ValueError("clean_tokenize.sequence_length must be at least 1")
    counts: Counter[str] = Counter()
    for line in clean_train_texts:
        counts.update(line.split(" ") if line else ())
    counts.pop("", None)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: max_tokens - 2]
    return Tokenizer(
        vocabulary=(PAD, OOV, *[tok for tok, _ in ranked]),
        sequence_length=sequence_length,
        mask=mask,
        char_ngram_min=char_ngram_min,
        char_ngram_max=char_ngram_max,
        ngram_buckets=ngram_buckets,
    )
