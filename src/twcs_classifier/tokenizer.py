"""The vocabulary and the mapping from normalised text to padded token ids.

The vocabulary is learnt from the cleaned *training* text only; a Keras
``TextVectorization`` layer with it writes the token ids of every split (the
clean_tokenize stage), and the recurrent models that read whole words take the same
vocabulary into their saved ``.keras`` file.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .runtime import keras, tensorflow

PAD, OOV = "", "[UNK]"


@dataclass(frozen=True)
class Tokenizer:
    """A fixed vocabulary and sequence length (index 0 pads, index 1 is out-of-vocabulary)."""

    vocabulary: tuple[str, ...]
    sequence_length: int
    mask: bool = False
    """Whether raw text is masked (:func:`twcs_classifier.text.mask`) before normalising."""

    @property
    def vocab_size(self) -> int:
        """Number of ids, padding and OOV included."""
        return len(self.vocabulary)

    def save(self, path: str | Path) -> None:
        """Write the tokenizer as JSON."""
        data = asdict(self)
        data["vocabulary"] = list(self.vocabulary)
        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read a tokenizer written by :meth:`save`."""
        data = json.loads(Path(path).read_text())
        return cls(
            vocabulary=tuple(data["vocabulary"]),
            sequence_length=int(data["sequence_length"]),
            mask=bool(data.get("mask", False)),
        )

    def layer(self) -> Any:
        """A ``TextVectorization`` layer with this vocabulary, for text already passed
        through :func:`twcs_classifier.text.preprocess_many`."""
        return keras().layers.TextVectorization(
            max_tokens=self.vocab_size,
            standardize=None,
            split="whitespace",
            output_mode="int",
            output_sequence_length=self.sequence_length,
            vocabulary=list(self.vocabulary[2:]),
            name="vectorize",
        )

    def encode(self, clean_texts: Sequence[str], batch_size: int = 8192) -> np.ndarray:
        """Token ids of already-normalised texts, padded or cut to ``sequence_length``."""
        tf = tensorflow()
        layer = self.layer()
        out = [np.zeros((0, self.sequence_length), dtype=np.int32)]
        for start in range(0, len(clean_texts), batch_size):
            chunk = tf.constant(list(clean_texts[start : start + batch_size]), dtype=tf.string)
            out.append(layer(chunk).numpy().astype(np.int32))
        return np.concatenate(out)


def adapt_tokenizer(
    clean_train_texts: Sequence[str], max_tokens: int, sequence_length: int, mask: bool = False
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
    return Tokenizer(vocabulary=(PAD, OOV, *[tok for tok, _ in ranked]), sequence_length=sequence_length, mask=mask)
