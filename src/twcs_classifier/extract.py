"""Read twcs.csv in bounded memory and validate it; :func:`extract` adds each tweet's
conversation and company (:mod:`twcs_classifier.conversations`).

``read_twcs`` streams the CSV with pyarrow (texts contain quoted newlines), checks the
schema, normalises ``inbound`` and drops, counting each, rows that cannot be used.
"""

from __future__ import annotations

import math
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .conversations import TWEET_ID_LINK, company_codes, conversation_codes
from .errors import PipelineError
from .params import DEFAULT_MAX_CONFLICTING_SHARE

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
_BLOCK_SIZE = 16 << 20


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


def twcs_member(archive: zipfile.ZipFile, path: str | os.PathLike[str]) -> str:
    """The one member of a zip archive named ``twcs.csv`` (macOS ``__MACOSX/`` copies are
    ignored). None, or more than one, is a :class:`PipelineError` naming what it holds."""
    names = [m for m in archive.namelist() if Path(m).name == "twcs.csv" and not m.startswith("__MACOSX/")]
    if len(names) == 1:
        return names[0]
    if not names:
        held = ", ".join(archive.namelist()[:10]) or "nothing"
        raise PipelineError(
            f"zip archive {path} holds no twcs.csv (it holds: {held})",
            "use the Kaggle archive of thoughtvector/customer-support-on-twitter, "
            "or unzip twcs.csv and point data.raw_path at it",
        )
    raise PipelineError(
        f"zip archive {path} holds {len(names)} files named twcs.csv ({', '.join(names[:5])})",
        "unzip the one you mean and point data.raw_path at it",
    )


def open_source(path: str | os.PathLike[str], name: str | None = None) -> tuple[IO[bytes], str]:
    """Open twcs.csv, or the twcs.csv inside a Kaggle ``.zip``, as a binary stream.

    Returns the stream and a description of what was opened (``name``, when given, stands
    for ``path`` in it and in every message: the fetch stage checks its temporary copy under
    the name of the file the user gave). Raises :class:`PipelineError` for a missing, empty
    or unreadable file, a directory or device, or a zip without exactly one twcs.csv.
    """
    path = Path(path)
    shown = name or str(path)
    if not path.exists():
        raise PipelineError(
            f"raw data file {shown} not found",
            f"put twcs.csv (or the Kaggle zip) at {shown}, or run "
            "`python -m twcs_classifier fetch-data` to download it with kagglehub",
        )
    if not path.is_file():
        raise PipelineError(
            f"raw data path {shown} is not a file (it is a directory or a device)",
            "point data.raw_path at the twcs.csv file (or the Kaggle zip), not at its folder",
        )
    if path.stat().st_size == 0:
        raise PipelineError(
            f"raw data file {shown} is empty",
            f"replace {shown} with the full twcs.csv from Kaggle (thoughtvector/customer-support-on-twitter)",
        )
    if zipfile.is_zipfile(path):
        zf = zipfile.ZipFile(path)
        member = twcs_member(zf, shown)
        return zf.open(member), f"{shown}!{member}"
    return open(path, "rb"), shown


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


def _clean_batch(batch: pa.RecordBatch, report: ExtractReport) -> pa.Table:
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


def read_twcs(
    path: str | os.PathLike[str],
    block_size: int = _BLOCK_SIZE,
    max_conflicting_share: float = DEFAULT_MAX_CONFLICTING_SHARE,
) -> tuple[pa.Table, ExtractReport]:
    """Stream twcs.csv (or its zip) into a typed Arrow table, dropping and counting bad rows.

    Rows with the wrong number of fields or a non-integer ``tweet_id`` are
    unparseable; rows with empty text are dropped. A ``tweet_id`` repeated with the same
    content keeps its first row (the copies are counted as ``dropped_duplicate_tweet_id``);
    one repeated with different content (another label, text, author, time or reply link)
    loses every row, since which is right cannot be known (``dropped_conflicting_tweet_id``,
    with ``conflicting_tweet_ids`` and examples), and more than ``max_conflicting_share`` of
    the tweet_ids so is a :class:`PipelineError` (:func:`resolve_duplicates`). Every count
    is in the returned :class:`ExtractReport`.
    """
    stream, described = open_source(path)
    report = ExtractReport(source=described)
    with stream:
        tables = _read_batches(stream, described, report, block_size)
    if not tables and not report.rows_read:
        raise _no_rows(described)
    if not tables:
        raise _nothing_usable(described, report)
    table = resolve_duplicates(pa.concat_tables(tables), report, max_conflicting_share)
    del tables
    # No combine_chunks(): it copied every column (about 1.3 s and the file's size in memory);
    # everything downstream, parquet included, takes chunked columns.
    if table.num_rows == 0:
        raise _nothing_usable(described, report)
    return table, report


def _invalid_row_counter(report: ExtractReport) -> Callable[[Any], str]:
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


def _read_batches(stream: Any, described: str, report: ExtractReport, block_size: int) -> list[pa.Table]:
    """Stream the CSV in blocks: check its header, then clean each batch (:func:`_clean_batch`)."""
    read_opts = pacsv.ReadOptions(block_size=block_size, use_threads=True)
    parse_opts = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=_invalid_row_counter(report))
    convert_opts = pacsv.ConvertOptions(
        column_types={c: pa.string() for c in REQUIRED_COLUMNS},
        strings_can_be_null=False,
    )
    try:
        reader = pacsv.open_csv(stream, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
    except pa.ArrowInvalid as err:
        raise _arrow_error(described, err) from None
    check_header(described, reader.schema.names)
    try:
        return [_clean_batch(batch, report) for batch in reader]
    except pa.ArrowInvalid as err:
        raise _arrow_error(described, err) from None


def check_header(described: str, names: list[str]) -> None:
    """The header of twcs.csv: every column of :data:`REQUIRED_COLUMNS`, each name once; else a
    :class:`PipelineError` naming what is repeated or missing."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise PipelineError(
            f"{described} has the column name(s) {', '.join(repeated)} more than once in its header",
            "give every column one name; the header of twcs.csv is " + ",".join(REQUIRED_COLUMNS),
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise PipelineError(
            f"{described} lacks the column(s) {', '.join(missing)} (found: {', '.join(names)})",
            "give the original twcs.csv, whose header is " + ",".join(REQUIRED_COLUMNS),
        )


def check_twcs(path: str | os.PathLike[str], name: str | None = None, block_size: int = 1 << 20) -> str:
    """The checks extract makes before it reads the rows, on ``path`` (twcs.csv or its zip,
    called ``name`` in messages if given): a file (not a directory or device), not empty, a
    zip with one twcs.csv, readable as UTF-8 CSV, the header of :func:`check_header`, and at
    least one data row (the first block is read). The fetch stage runs them before it takes
    a file in. Returns the description of what was checked; raises :class:`PipelineError`
    as extract would."""
    stream, described = open_source(path, name)
    with stream:
        try:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(block_size=block_size),
                parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: "skip"),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in REQUIRED_COLUMNS}),
            )
            check_header(described, reader.schema.names)
            first = next(iter(reader), None)
        except pa.ArrowInvalid as err:
            raise _arrow_error(described, err) from None
    if first is None or first.num_rows == 0:
        raise _no_rows(described)
    return described


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


def _no_rows(described: str) -> PipelineError:
    return PipelineError(f"{described} has a header but no data rows", "replace it with the full twcs.csv from Kaggle")


def _nothing_usable(described: str, report: ExtractReport) -> PipelineError:
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


def _arrow_error(described: str, err: Exception) -> PipelineError:
    msg = str(err)
    if "UTF8" in msg or "utf8" in msg.lower():
        return PipelineError(
            f"{described} is not valid UTF-8 ({msg.splitlines()[0]})",
            "re-save the file as UTF-8 (for example: iconv -f latin1 -t utf-8 in.csv > twcs.csv)",
        )
    return PipelineError(
        f"{described} could not be read as CSV ({msg.splitlines()[0]})",
        "check that it is the comma-separated twcs.csv from Kaggle",
    )


def extract(
    path: str | os.PathLike[str],
    block_size: int = _BLOCK_SIZE,
    max_conflicting_share: float = DEFAULT_MAX_CONFLICTING_SHARE,
) -> tuple[pa.Table, dict[str, Any]]:
    """Read, validate and enrich twcs.csv: the whole extract stage as one function.

    Returns the table written to ``tweets.parquet`` (tweet_id, author_id, inbound,
    created_at, text, in_response_to_tweet_id, conversation_id, company) and the
    report of every count. ``max_conflicting_share`` is ``extract.max_conflicting_share``
    (see :func:`resolve_duplicates`).
    """
    table, report = read_twcs(path, block_size=block_size, max_conflicting_share=max_conflicting_share)
    conversation_id, conv_code, n_conv = conversation_codes(table)
    codes, handles, n_without = company_codes(table, conversation_id, conv_code, n_conv)
    company = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=codes < 0), handles)
    table = (
        table.drop_columns(["response_tweet_id"])
        .append_column("conversation_id", pa.array(conversation_id, pa.int64()))
        .append_column("company", company.cast(pa.string()))
    )
    inbound = table["inbound"].to_numpy(zero_copy_only=False)
    report.rows_written = table.num_rows
    report.inbound = int(inbound.sum())
    report.outbound = int(len(inbound) - inbound.sum())
    report.conversations = n_conv
    report.companies = int(np.count_nonzero(np.bincount(codes[codes >= 0], minlength=1)))
    report.conversations_without_company = n_without
    report.check_accounts()
    return table, report.as_dict()


__all__ = [
    "REQUIRED_COLUMNS",
    "ExtractReport",
    "check_header",
    "check_twcs",
    "extract",
    "open_source",
    "parse_inbound",
    "read_twcs",
    "resolve_duplicates",
    "twcs_member",
]
