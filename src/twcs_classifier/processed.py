"""The processed splits: what the clean_tokenize stage writes and the train stage reads.

Each split keeps its columns and gains ``clean_text`` (the text as the models read it,
normalised), ``pieces`` (for each token the model reads, its row of the piece table) and
``masked_pieces`` (the same for the masked text, which ``mask_augment`` trains on). The
piece table (``pieces.parquet``) holds each distinct token
with its n-gram ids and word id, so training never redoes the string work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .layout import Layout
from .text import preprocess_many
from .tokenizer import Encoded, PieceTable, Tokenizer


def encode_splits(
    frames: Mapping[str, pd.DataFrame], tokenizer: Tokenizer
) -> tuple[PieceTable, dict[str, pd.DataFrame]]:
    """Add ``clean_text``, ``pieces`` and ``masked_pieces`` to copies of each
    split; the piece table is shared by all of them."""
    names = list(frames)
    texts = [t for name in names for t in frames[name]["text"].tolist()]
    encoded = tokenizer.encode(texts, with_masked=True)
    assert encoded.masked_rows is not None
    out, start = {}, 0
    for name in names:
        frame = frames[name].copy()
        end = start + len(frame)
        frame["clean_text"] = preprocess_many(frame["text"].tolist(), tokenizer.mask)
        frame["pieces"] = encoded.rows[start:end]
        frame["masked_pieces"] = encoded.masked_rows[start:end]
        out[name], start = frame, end
    return encoded.table, out


def table_frame(table: PieceTable) -> pd.DataFrame:
    """The piece table as a frame (one row a token)."""
    grams = [table.ngrams_of(i) for i in range(len(table))]
    return pd.DataFrame({"token": list(table.tokens), "ngram_ids": grams, "word_id": table.word_ids})


def table_from_frame(frame: pd.DataFrame) -> PieceTable:
    """:func:`table_frame` read back."""
    grams = [np.asarray(g, dtype=np.int32) for g in frame["ngram_ids"]]
    offsets = np.zeros(len(grams) + 1, dtype=np.int64)
    np.cumsum([len(g) for g in grams], out=offsets[1:])
    flat = np.concatenate(grams) if grams else np.zeros(0, dtype=np.int32)
    return PieceTable(tuple(frame["token"]), offsets, flat.astype(np.int32), frame["word_id"].to_numpy(np.int32))


def read_processed(
    splits: Sequence[str], layout: Layout | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, Encoded]]:
    """The processed splits (frames) and, for each, its ids (:class:`Encoded`, sharing the
    piece table)."""
    layout = layout or Layout()
    table = table_from_frame(pd.read_parquet(layout.pieces))
    frames = {s: pd.read_parquet(layout.processed_file(s)) for s in splits}

    def rows(frame: pd.DataFrame, column: str) -> list[np.ndarray]:
        return [np.asarray(r, dtype=np.int32) for r in frame[column]]

    return frames, {s: Encoded(table, rows(f, "pieces"), rows(f, "masked_pieces")) for s, f in frames.items()}
