"""Leak-free, balanced train / validation / test splits.

Whole conversations are assigned to one split before any row is drawn, so no
conversation (and no tweet) can appear in two splits. Within each split the rows of
each class are drawn without replacement in a seeded order, skipping any tweet whose
normalised text was already drawn anywhere in the sample.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import PipelineError
from .split_sizes import SampleSizes
from .text import normalise

SPLITS: tuple[str, ...] = ("test", "val", "unseen_brands", "train")
"""Split names, in the order they are drawn: the test split gets what was asked first, then
validation, then the held-out brands; train takes the rest. ``unseen_brands`` holds the
conversations of the held-out companies."""

RANDOM_SPLITS: tuple[str, ...] = ("test", "val", "train")
"""The splits drawn from the conversations of the companies that are not held out."""

SPLIT_COLUMNS: tuple[str, ...] = ("tweet_id", "conversation_id", "company", "author_id", "text", "label")
"""Columns of every split file; ``label`` is 1 for inbound (customer), 0 for outbound."""


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


def _conversation_rows(conversation_id: np.ndarray, rows: np.ndarray, seed: int) -> list[np.ndarray]:
    """The given rows grouped by conversation, the conversations in a seeded random order
    that depends only on the set of conversation ids and the seed (not on row order)."""
    conv = conversation_id[rows]
    order = np.argsort(conv, kind="stable")
    convs, starts = np.unique(conv[order], return_index=True)
    groups = np.split(rows[order], starts[1:]) if len(rows) else []
    shuffle = np.random.default_rng(seed).permutation(len(convs))
    return [groups[i] for i in shuffle]


def allocate_conversations(
    tweets: pd.DataFrame, sizes: SampleSizes, seed: int, holdout_brands: Sequence[str] = ()
) -> np.ndarray:
    """Put every conversation in one split; returns each row's split name.

    The conversations of ``holdout_brands`` go to ``unseen_brands``. The others are taken in
    a seeded random order: first by the test split until it holds ``sizes.test`` tweets that
    can be drawn (half of each class, texts not seen before), then by validation (its share of
    what is left for validation and train, at most ``sizes.val``), and train takes the rest.
    So the test split gets what was asked before train takes anything.
    """
    n = len(tweets)
    held = tweets["company"].isin(list(holdout_brands)).to_numpy()
    pool = np.where(held, "unseen_brands", "train").astype(object)
    inbound = tweets["inbound"].to_numpy().astype(bool)
    texts = tweets["text"].to_numpy()
    groups = _conversation_rows(tweets["conversation_id"].to_numpy(), np.nonzero(~held)[0], seed)
    taken: set[str] = set()
    pos = 0
    for split in ("test", "val"):
        if split == "test":
            quota = sizes.test // 2
        else:
            rest = pool == "train"
            capacity = 2 * min(int((rest & inbound).sum()), int((rest & ~inbound).sum()))
            quota = min(sizes.val, round(capacity * sizes.val / (sizes.val + sizes.train))) // 2
        counts = [0, 0]
        owner: dict[str, int] = {}  # text -> class that can use it (-1: both claim it, neither counts)
        while pos < len(groups) and min(counts) < quota:
            for row in groups[pos]:
                pool[row] = split
                key = normalise(texts[row])
                if key in taken:
                    continue
                label = int(inbound[row])
                before = owner.get(key)
                if before is None:
                    owner[key] = label
                    counts[label] += 1
                elif before not in (label, -1):
                    owner[key] = -1
                    counts[before] -= 1
            pos += 1
        taken.update(owner)
    assert len(pool) == n
    return pool


def balanced_sample(
    tweets: pd.DataFrame,
    sizes: SampleSizes,
    seed: int,
    holdout_brands: Sequence[str] = (),
    min_split: int = 1,
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Draw balanced, disjoint, duplicate-free splits from the extracted tweets.

    ``tweets`` needs tweet_id, conversation_id, company, author_id, text and inbound.
    Conversations are shared out by :func:`allocate_conversations`; within each split the
    rows of each class are drawn in a seeded order, skipping texts already drawn.
    Returns the splits (rows in a seeded random order) and a report with the requested
    and actual sizes, the count of texts skipped as duplicates, and any warnings.
    A split that gets fewer tweets than asked (but at least ``min_split``) is kept with a
    warning; one below ``min_split`` (the test, validation and train splits, and the
    unseen-brand split when brands are held out) is a :class:`PipelineError`.
    """
    pool = allocate_conversations(tweets, sizes, seed, holdout_brands)
    rng = np.random.default_rng(seed + 1)
    inbound = tweets["inbound"].to_numpy()
    chosen, duplicates = _draw_rows(pool, tweets["text"].to_numpy(), inbound, sizes, rng)
    out: dict[str, pd.DataFrame] = {}
    actual: dict[str, dict[str, int]] = {}
    warn: list[str] = []
    for split in SPLITS:
        out[split], actual[split], shortfall = _balanced_split(tweets, split, chosen[split], sizes, rng)
        if shortfall and (split != "unseen_brands" or holdout_brands):
            warn.append(shortfall)
    _check_floor(tweets, inbound, sizes, actual, holdout_brands, min_split, duplicates)
    for message in warn:
        warnings.warn(message, stacklevel=2)
    report = {
        "seed": seed,
        "holdout_brands": sorted(holdout_brands),
        "requested": sizes.as_dict(),
        "min_split": min_split,
        "actual": actual,
        "skipped_duplicate_text": duplicates,
        "rows_available": int(len(tweets)),
        "warnings": warn,
        "checks": split_checks(out, holdout_brands),
    }
    return out, report


def _draw_rows(
    pool: np.ndarray, texts: np.ndarray, inbound: np.ndarray, sizes: SampleSizes, rng: np.random.Generator
) -> tuple[dict[str, dict[int, np.ndarray]], int]:
    """Each split's rows of each class (1 inbound, 0 outbound), up to half its size, in a seeded
    order, skipping any text (normalised) already drawn; and how many were skipped so."""
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
    return chosen, duplicates


def _balanced_split(
    tweets: pd.DataFrame, split: str, rows_by_label: dict[int, np.ndarray], sizes: SampleSizes, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, int], str | None]:
    """One split: as many rows of each class as the scarcer has, shuffled; its sizes; and a
    warning when it holds fewer tweets than asked."""
    k = min(len(rows_by_label[0]), len(rows_by_label[1]))
    asked = getattr(sizes, split)
    shortfall = (
        f"{split}: asked for {asked} tweets, the data hold {2 * k} "
        f"balanced ({len(rows_by_label[1])} inbound, {len(rows_by_label[0])} outbound available)"
        if 2 * k < asked
        else None
    )
    rows = np.concatenate([rows_by_label[1][:k], rows_by_label[0][:k]])
    frame = tweets.iloc[rows[rng.permutation(len(rows))]]
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
    counts = {"n": 2 * k, "inbound": k, "outbound": k, "conversations": int(split_df["conversation_id"].nunique())}
    return split_df.reset_index(drop=True), counts, shortfall


def _check_floor(
    tweets: pd.DataFrame,
    inbound: np.ndarray,
    sizes: SampleSizes,
    actual: dict[str, dict[str, int]],
    holdout_brands: Sequence[str],
    min_split: int,
    duplicates: int,
) -> None:
    """Stop when a split that must be filled (train, validation, test, and the unseen-brand one
    when brands are held out) holds fewer than ``min_split`` tweets, saying what to lower."""
    floored = [*RANDOM_SPLITS, "unseen_brands"] if holdout_brands else list(RANDOM_SPLITS)
    small = [split for split in floored if actual[split]["n"] < min_split]
    if not small:
        return
    outside = ~tweets["company"].isin(list(holdout_brands)).to_numpy()
    balanced = 2 * min(int((inbound & outside).sum()), int((~inbound & outside).sum()))
    raise PipelineError(
        "too few tweets for "
        + ", ".join(f"the {s} split ({actual[s]['n']} of {getattr(sizes, s)} asked)" for s in small)
        + f": below the floor sample.min_split = {min_split}. The data hold {len(tweets)} tweets, at most "
        f"{balanced} balanced outside the held-out brands (before {duplicates} duplicate texts are skipped); "
        "the test split is filled first, then validation, and train takes the rest",
        "lower sample.n_test and sample.n_train to fit the data (or give more data, the full twcs.csv); "
        + ("hold out brands with more tweets, or fewer; " if "unseen_brands" in small else "")
        + "or lower sample.min_split",
    )


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
