"""Reading twcs.csv in bounded memory: open it (or the twcs.csv inside a Kaggle zip), check its
header and first rows (:func:`check_twcs`, which the fetch stage runs too), stream it with
pyarrow in blocks (texts contain quoted newlines) through the row rules of
:mod:`twcs_classifier.twcs_rows`, and :func:`extract`, the extract stage as one function,
which adds each tweet's conversation and company (:mod:`twcs_classifier.conversations`).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .conversations import company_codes, conversation_codes
from .errors import PipelineError
from .params import DEFAULT_MAX_CONFLICTING_SHARE
from .twcs_rows import (
    REQUIRED_COLUMNS,
    ExtractReport,
    clean_batch,
    invalid_row_counter,
    nothing_usable,
    resolve_duplicates,
)

_BLOCK_SIZE = 16 << 20


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
        raise nothing_usable(described, report)
    table = resolve_duplicates(pa.concat_tables(tables), report, max_conflicting_share)
    del tables
    # No combine_chunks(): it copied every column (about 1.3 s and the file's size in memory);
    # everything downstream, parquet included, takes chunked columns.
    if table.num_rows == 0:
        raise nothing_usable(described, report)
    return table, report


def _read_batches(stream: Any, described: str, report: ExtractReport, block_size: int) -> list[pa.Table]:
    """Stream the CSV in blocks: check its header, then clean each batch (:func:`clean_batch`)."""
    read_opts = pacsv.ReadOptions(block_size=block_size, use_threads=True)
    parse_opts = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid_row_counter(report))
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
        return [clean_batch(batch, report) for batch in reader]
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


def _no_rows(described: str) -> PipelineError:
    return PipelineError(f"{described} has a header but no data rows", "replace it with the full twcs.csv from Kaggle")


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
    "check_header",
    "check_twcs",
    "extract",
    "open_source",
    "read_twcs",
    "twcs_member",
]
