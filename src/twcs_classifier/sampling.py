"""Leak-free, balanced train / validation / test splits.

Whole conversations are assigned to one split before any row is drawn, so no
conversation (and no tweet) can appear in two splits. Within each split the rows of
each class are drawn without replacement in a seeded order, skipping any tweet whose
normalised text was already drawn anywhere in the sample.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import PipelineError
from .text import normalise

SPLITS: tuple[str, ...] = ("test", "unseen_brands", "val", "train")
"""Split names, in the order they are filled (the test sets first, so they are never
starved). ``unseen_brands`` holds the conversations of the held-out companies."""

RANDOM_SPLITS: tuple[str, ...] = ("test", "val", "train")
"""The splits drawn from the conversations of the companies that are not held out."""

SPLIT_COLUMNS: tuple[str, ...] = ("tweet_id", "conversation_id", "company", "author_id", "text", "label")
"""Columns of every split file; ``label`` is 1 for inbound (customer), 0 for outbound."""


@dataclass(frozen=True)
class SampleSizes:
    """How many tweets each split should hold (half of each class)."""

    train: int
    val: int
    test: int
    unseen_brands: int = 0

    @classmethod
    def from_params(cls, n_train: int, n_test: int, val_fraction: float) -> SampleSizes:
        """Carve ``val_fraction`` of ``n_train`` off as the validation split."""
        if n_train < 2 or n_test < 2:
            raise ValueError("sample.n_train and sample.n_test must each be at least 2")
        if not 0.0 < val_fraction < 1.0:
            raise ValueError(f"sample.val_fraction must be between 0 and 1, got {val_fraction}")
        n_val = max(2, int(round(n_train * val_fraction)))
        return cls(train=n_train - n_val, val=n_val, test=n_test, unseen_brands=n_test)

    def as_dict(self) -> dict[str, int]:
        """Sizes by split name."""
        return {"train": self.train, "val": self.val, "test": self.test, "unseen_brands": self.unseen_brands}


def choose_holdout_brands(
    companies: Sequence[str | None], fraction: float, seed: int, explicit: Sequence[str] = ()
) -> list[str]:
    """The companies whose conversations are kept out of training entirely.

    ``explicit`` (if not empty) is used as it is, after checking each name occurs;
    otherwise a seeded ``fraction`` of the distinct companies (at least one when the
    fraction is above 0) is drawn. Returns the names sorted.
    """
    names = sorted({c for c in companies if c is not None and c == c})
    if explicit:
        unknown = sorted(set(explicit) - set(names))
        if unknown:
            raise PipelineError(
                f"sample.holdout_brands names companies not in the data: {', '.join(unknown)}",
                f"use company handles as they appear as authors, e.g. {', '.join(names[:5])}",
            )
        return sorted(set(explicit))
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"sample.holdout_brand_fraction must be in [0, 1), got {fraction}")
    k = int(round(fraction * len(names)))
    if fraction > 0 and names:
        k = max(1, k)
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(np.array(names, dtype=object), size=k, replace=False).tolist()) if k else []


def assign_conversations(conversation_id: np.ndarray, shares: dict[str, float], seed: int) -> np.ndarray:
    """Put every conversation in one split at random, in proportion to ``shares``.

    Returns, for each row, the name of its split. The draw depends only on the set of
    conversation ids and the seed, not on row order.
    """
    names = list(shares)
    p = np.array([shares[n] for n in names], dtype=float)
    p = p / p.sum()
    convs = np.unique(conversation_id)
    rng = np.random.default_rng(seed)
    draw = rng.choice(len(names), size=len(convs), p=p)
    lookup = pd.Series(np.array(names, dtype=object)[draw], index=convs)
    return lookup.loc[conversation_id].to_numpy()


def balanced_sample(
    tweets: pd.DataFrame, sizes: SampleSizes, seed: int, holdout_brands: Sequence[str] = ()
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Draw balanced, disjoint, duplicate-free splits from the extracted tweets.

    ``tweets`` needs tweet_id, conversation_id, company, author_id, text and inbound.
    The conversations of ``holdout_brands`` go to the ``unseen_brands`` split only;
    the others are shared out among test, val and train.
    Returns the splits (rows in a seeded random order) and a report with the requested
    and actual sizes, the count of texts skipped as duplicates, and any warnings.
    Where the data hold fewer rows than asked, each split takes what there is, keeping
    the classes balanced, and a warning says so.
    """
    total = sizes.train + sizes.val + sizes.test
    shares = {name: getattr(sizes, name) / total for name in RANDOM_SPLITS}
    pool = assign_conversations(tweets["conversation_id"].to_numpy(), shares, seed).astype(object)
    held = tweets["company"].isin(list(holdout_brands)).to_numpy()
    pool[held] = "unseen_brands"
    rng = np.random.default_rng(seed + 1)

    texts = tweets["text"].to_numpy()
    inbound = tweets["inbound"].to_numpy()
    seen: set[str] = set()
    duplicates = 0
    chosen: dict[str, dict[int, np.ndarray]] = {}
    for split in SPLITS:
        quota = getattr(sizes, split) // 2
        chosen[split] = {}
        for label in (1, 0):
            idx = np.nonzero((pool == split) & (inbound == bool(label)))[0]
            idx = idx[rng.permutation(len(idx))]
            keep: list[int] = []
            for i in idx:
                if len(keep) == quota:
                    break
                key = normalise(texts[i])
                if key in seen:
                    duplicates += 1
                    continue
                seen.add(key)
                keep.append(int(i))
            chosen[split][label] = np.array(keep, dtype=np.int64)

    out: dict[str, pd.DataFrame] = {}
    warn: list[str] = []
    actual: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        k = min(len(chosen[split][0]), len(chosen[split][1]))
        if 2 * k < getattr(sizes, split) and (split != "unseen_brands" or holdout_brands):
            warn.append(
                f"{split}: asked for {getattr(sizes, split)} tweets, the data hold {2 * k} "
                f"balanced ({len(chosen[split][1])} inbound, {len(chosen[split][0])} outbound available)"
            )
        rows = np.concatenate([chosen[split][1][:k], chosen[split][0][:k]])
        rows = rows[rng.permutation(len(rows))]
        frame = tweets.iloc[rows]
        split_df = pd.DataFrame(
            {
                "tweet_id": frame["tweet_id"].to_numpy(),
                "conversation_id": frame["conversation_id"].to_numpy(),
                "company": frame["company"].to_numpy(),
                "author_id": frame["author_id"].to_numpy(),
                "text": frame["text"].to_numpy(),
                "label": frame["inbound"].to_numpy().astype(np.int8),
            }
        )
        out[split] = split_df.reset_index(drop=True)
        actual[split] = {
            "n": 2 * k,
            "inbound": k,
            "outbound": k,
            "conversations": int(split_df["conversation_id"].nunique()),
        }

    empty = [split for split in RANDOM_SPLITS if actual[split]["n"] == 0]
    if empty:
        raise PipelineError(
            f"no balanced tweets left for the {', '.join(empty)} split(s) "
            f"({len(tweets)} tweets, {int(inbound.sum())} inbound, after skipping {duplicates} duplicate texts)",
            "give more data (the full twcs.csv), or raise sample.n_train / sample.n_test",
        )
    for message in warn:
        warnings.warn(message, stacklevel=2)
    report = {
        "seed": seed,
        "holdout_brands": sorted(holdout_brands),
        "requested": sizes.as_dict(),
        "actual": actual,
        "skipped_duplicate_text": duplicates,
        "rows_available": int(len(tweets)),
        "warnings": warn,
        "checks": split_checks(out, holdout_brands),
    }
    return out, report


def split_checks(splits: dict[str, pd.DataFrame], holdout_brands: Sequence[str] = ()) -> dict[str, bool]:
    """Facts about the splits that must hold; each is recorded in the sample report.

    - ``disjoint_tweet_ids``: no tweet in two splits;
    - ``disjoint_conversations``: no conversation in two splits;
    - ``balanced``: each split has as many inbound as outbound tweets;
    - ``unique_normalised_text``: no normalised text twice in the whole sample;
    - ``holdout_brands_unseen``: no held-out company in train or val.
    """
    names = list(splits)
    ids = [set(splits[n]["tweet_id"].tolist()) for n in names]
    convs = [set(splits[n]["conversation_id"].tolist()) for n in names]
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    all_text = [normalise(t) for n in names for t in splits[n]["text"].tolist()]
    return {
        "disjoint_tweet_ids": all(not (ids[i] & ids[j]) for i, j in pairs),
        "disjoint_conversations": all(not (convs[i] & convs[j]) for i, j in pairs),
        "balanced": all(int(splits[n]["label"].sum()) * 2 == len(splits[n]) for n in names),
        "unique_normalised_text": len(all_text) == len(set(all_text)),
        "holdout_brands_unseen": not any(
            splits[n]["company"].isin(list(holdout_brands)).any()
            for n in ("train", "val")
            if n in splits and "company" in splits[n]
        ),
    }
