"""The rules a row of twcs.csv must pass to be kept, and the counts of what each rule drops:
the columns it must have, ``inbound`` read as a boolean (True/False/1/0, any case), a numeric
``tweet_id``, text that is not blank, reply links that name a tweet, no record swallowed by a
stray quote, and each ``tweet_id`` once (copies dropped; conflicting ones dropped whole, up to
``extract.max_conflicting_share``). Every count goes to the :class:`ExtractReport`. Streaming
the file through these rules is :mod:`twcs_classifier.extract`'s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .conversations import TWEET_ID_LINK
from .errors import PipelineError

REQUIRED_COLUMNS: tuple[str, ...] = (
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
)
"""The columns of twcs.csv, all of which the pipeline reads."""

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})

_ID_RE = r"^\s*[0-9]+\s*$"
_RECORD_START_RE = r"\n[0-9]+,[^,\n]*,(?i:true|false|1|0),"
"""A line break followed by the start of a twcs record (tweet_id, author_id, inbound): inside
a field, the sign that a stray quote swallowed the records that follow it."""


@dataclass
class ExtractReport:
    """Counts of everything read, dropped and derived by the extract stage."""

    source: str = ""
    rows_read: int = 0
    rows_parsed: int = 0
    dropped_unparseable: int = 0
    dropped_quote_error: int = 0
    dropped_bad_tweet_id: int = 0
    dropped_empty_text: int = 0
    dropped_duplicate_tweet_id: int = 0
    dropped_conflicting_tweet_id: int = 0
    bad_reply_links: int = 0
    rows_written: int = 0
    inbound: int = 0
    outbound: int = 0
    conversations: int = 0
    companies: int = 0
    conversations_without_company: int = 0
    unparseable_examples: list[str] = field(default_factory=list)
    conflicting_tweet_ids: int = 0
    conflicting_examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        return dict(self.__dict__)

    @property
    def dropped(self) -> int:
        """Every record dropped, whatever the reason."""
        return sum(v for k, v in self.__dict__.items() if k.startswith("dropped_"))

    def check_accounts(self) -> None:
        """Every record read is kept or dropped for a counted reason; else a :class:`PipelineError`."""
        if self.rows_read != self.rows_written + self.dropped:
            raise PipelineError(
                f"extract lost track of records in {self.source}: read {self.rows_read}, kept "
                f"{self.rows_written}, dropped {self.dropped}",
                "this is a bug; report it with the extract_report.json of the run",
            )


def parse_inbound(values: pa.Array, tweet_ids: pa.Array) -> pa.Array:
    """Map True/False/TRUE/FALSE/1/0 (any case, spaces ignored) to booleans.

    Raises :class:`PipelineError` naming the first bad value and its tweet_id.
    """
    norm = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    is_true = pc.is_in(norm, value_set=pa.array(sorted(TRUE_VALUES)))
    is_false = pc.is_in(norm, value_set=pa.array(sorted(FALSE_VALUES)))
    bad = pc.invert(pc.or_(is_true, is_false))
    n_bad = pc.sum(bad).as_py() or 0
    if n_bad:
        i = pc.index(bad, True).as_py()
        raise PipelineError(
            f"column 'inbound' has value {values[i].as_py()!r} at tweet_id "
            f"{tweet_ids[i].as_py()} ({n_bad} such rows in this block); "
            "it must be true or false",
            "fix those rows so inbound is True/False (TRUE/FALSE and 1/0 are accepted too)",
        )
    return is_true


def clean_batch(batch: pa.RecordBatch, report: ExtractReport) -> pa.Table:
    """Type one batch of raw string columns; drop and count unusable rows."""
    tbl = pa.Table.from_batches([batch]).select(list(REQUIRED_COLUMNS))
    report.rows_parsed += tbl.num_rows
    report.rows_read += tbl.num_rows

    # A stray quote makes one field swallow the records after it: drop the row and count
    # it with every record it swallowed.
    swallowed = [pc.count_substring_regex(tbl[c], _RECORD_START_RE) for c in REQUIRED_COLUMNS]
    per_row = swallowed[0]
    for counts in swallowed[1:]:
        per_row = pc.add(per_row, counts)
    merged = pc.greater(per_row, 0)
    n_merged = pc.sum(merged).as_py() or 0
    if n_merged:
        lost = pc.sum(per_row).as_py() or 0
        report.rows_read += lost
        report.dropped_quote_error += n_merged + lost
        for text in tbl["text"].filter(merged).to_pylist()[: max(0, 5 - len(report.unparseable_examples))]:
            report.unparseable_examples.append(f"quote error: {text[:120]!r}")
        tbl = tbl.filter(pc.invert(merged))

    id_ok = pc.match_substring_regex(tbl["tweet_id"], _ID_RE)
    n_bad_id = tbl.num_rows - (pc.sum(id_ok).as_py() or 0)
    report.dropped_bad_tweet_id += n_bad_id
    if n_bad_id:
        tbl = tbl.filter(id_ok)

    # Empty or all-whitespace text; utf8_is_space scans without copying (trimming copied every text).
    text = tbl["text"]
    text_ok = pc.invert(pc.or_(pc.equal(pc.binary_length(text), 0), pc.utf8_is_space(text)))
    n_empty = tbl.num_rows - (pc.sum(text_ok).as_py() or 0)
    report.dropped_empty_text += n_empty
    if n_empty:
        tbl = tbl.filter(text_ok)

    tweet_id = pc.cast(pc.utf8_trim_whitespace(tbl["tweet_id"]), pa.int64())
    inbound = parse_inbound(tbl["inbound"], tweet_id)

    link = tbl["in_response_to_tweet_id"]
    link_ok = pc.match_substring_regex(link, TWEET_ID_LINK)
    link_present = pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(link)), 0)
    report.bad_reply_links += pc.sum(pc.and_(link_present, pc.invert(link_ok))).as_py() or 0
    parent = pc.if_else(link_ok, link, pa.scalar(None, pa.string()))
    parent = pc.cast(pc.cast(pc.utf8_trim_whitespace(parent), pa.float64()), pa.int64())

    return pa.table(
        {
            "tweet_id": tweet_id,
            "author_id": tbl["author_id"],
            "inbound": inbound,
            "created_at": tbl["created_at"],
            "text": tbl["text"],
            "response_tweet_id": tbl["response_tweet_id"],
            "in_response_to_tweet_id": parent,
        }
    )


def invalid_row_counter(report: ExtractReport) -> Callable[[Any], str]:
    """pyarrow's handler of an unparseable row: count it (and the records a stray quote ran into
    it), keep a few examples, and skip it."""

    def on_invalid(row: Any) -> str:
        swallowed = len(re.findall(_RECORD_START_RE, row.text or ""))
        report.dropped_unparseable += 1
        report.rows_read += 1 + swallowed
        report.dropped_quote_error += swallowed
        if len(report.unparseable_examples) < 5:
            where = f"line {row.number}: " if row.number is not None else ""
            report.unparseable_examples.append(f"{where}{row.text[:120]!r}")
        return "skip"

    return on_invalid


_CONTENT_COLUMNS: tuple[str, ...] = tuple(c for c in REQUIRED_COLUMNS if c != "tweet_id")


def resolve_duplicates(table: pa.Table, report: ExtractReport, max_conflicting_share: float) -> pa.Table:
    """``table`` with each ``tweet_id`` once. Copies of a row (the same value in every column,
    as read: ``TRUE`` and ``True`` are the same label) are dropped and counted
    (``dropped_duplicate_tweet_id``). A ``tweet_id`` whose rows differ (in label, text,
    author, time or reply links) loses every row: which is right cannot be known, and keeping
    one would train on a label that may be wrong; they are counted apart
    (``dropped_conflicting_tweet_id`` rows, ``conflicting_tweet_ids`` ids, examples in
    ``conflicting_examples``). When more than ``max_conflicting_share`` of the tweet_ids
    conflict the file is not trusted: a :class:`PipelineError` with the count and examples."""
    ids = table["tweet_id"].to_numpy()
    sorted_ids = np.sort(ids)
    if len(ids) < 2 or not bool((sorted_ids[1:] == sorted_ids[:-1]).any()):
        return table
    del sorted_ids
    unique, first, inverse, counts = np.unique(ids, return_index=True, return_inverse=True, return_counts=True)
    repeated_rows = np.nonzero(counts[inverse.reshape(-1)] > 1)[0]
    repeated = table.take(pa.array(repeated_rows))
    distinct = repeated.group_by("tweet_id").aggregate(
        [(c, "count_distinct", pc.CountOptions(mode="all")) for c in _CONTENT_COLUMNS]
    )
    differs = np.zeros(distinct.num_rows, dtype=bool)
    for c in _CONTENT_COLUMNS:
        differs |= distinct[f"{c}_count_distinct"].to_numpy() > 1
    conflicting = np.sort(distinct["tweet_id"].to_numpy()[differs])
    conflict_row = np.isin(ids, conflicting)
    n_conflict_rows = int(conflict_row.sum())
    report.conflicting_tweet_ids = len(conflicting)
    report.dropped_conflicting_tweet_id = n_conflict_rows
    report.dropped_duplicate_tweet_id = int(len(ids) - len(unique) - (n_conflict_rows - len(conflicting)))
    report.conflicting_examples = _conflict_examples(repeated, conflicting[:5])
    share = len(conflicting) / len(unique)
    if share > max_conflicting_share:
        raise PipelineError(
            f"{report.source}: {len(conflicting):,} tweet_ids ({share:.2%} of {len(unique):,}) appear more than once "
            f"with different content, so which label or text is right cannot be known; for example "
            + "; ".join(report.conflicting_examples[:3]),
            "fix the file so that each tweet_id appears once (or its copies are identical); to drop every copy of "
            f"such tweets and go on, set extract.max_conflicting_share in params.yaml (now {max_conflicting_share}) "
            f"to at least {math.ceil(share * 10_000) / 10_000:.4f}",
        )
    keep = first[~np.isin(unique, conflicting)]
    return table.take(pa.array(np.sort(keep)))


def _conflict_examples(rows: pa.Table, ids: np.ndarray) -> list[str]:
    """For each of ``ids``, the columns whose values differ between its rows, with the values."""
    examples = []
    for tweet_id in ids.tolist():
        mine = rows.filter(pc.equal(rows["tweet_id"], tweet_id))
        parts = []
        for c in _CONTENT_COLUMNS:
            values = list(dict.fromkeys(mine[c].to_pylist()))
            if len(values) > 1:
                shown = [repr(v[:60] if isinstance(v, str) else v) for v in values[:3]]
                parts.append(f"{c} {' vs '.join(shown)}")
        examples.append(f"tweet_id {tweet_id}: {', '.join(parts)}")
    return examples


def nothing_usable(described: str, report: ExtractReport) -> PipelineError:
    counts = ", ".join(
        f"{v} {k.removeprefix('dropped_').replace('_', ' ')}"
        for k, v in report.as_dict().items()
        if k.startswith("dropped_") and v
    )
    return PipelineError(
        f"no usable rows in {described}: all {report.rows_read} records were dropped ({counts})",
        "check that the file is the comma-separated twcs.csv from Kaggle; "
        + ("look for a stray double quote near the start" if report.dropped_quote_error else "see the examples below")
        + (f" (first problems: {'; '.join(report.unparseable_examples[:2])})" if report.unparseable_examples else ""),
    )


__all__ = [
    "FALSE_VALUES",
    "REQUIRED_COLUMNS",
    "TRUE_VALUES",
    "ExtractReport",
    "clean_batch",
    "invalid_row_counter",
    "nothing_usable",
    "parse_inbound",
    "resolve_duplicates",
]
