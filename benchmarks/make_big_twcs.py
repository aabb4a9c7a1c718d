"""Build a full-size, twcs-shaped CSV by replicating the real sample with fresh ids.

The real sample (43,796 rows of twcs.csv) is read once; each copy ``k`` of it gets
every tweet id -- ``tweet_id``, every id of the ``response_tweet_id`` list and
``in_response_to_tweet_id`` -- shifted by ``k * (max_id + 1)``, so the reply
structure of every copy is that of the sample and ids stay unique across copies.
Customer author ids (numeric) are shifted the same way by ``k * (max_author + 1)``
(``--no-offset-authors`` keeps them); company handles are kept. Text, inbound and
created_at are copied unchanged, with the original quoting (RFC 4180, a field is
quoted only when it holds a comma, a quote, CR or LF), so copy 0 is byte-identical
to the sample. The last copy may be partial (its first rows only; links to rows
left out simply dangle, as in the real file).

Speed: the sample is turned once into a single %-format template with one ``%d``
per id, so each copy is one C-level ``template % ids`` call and one write; 2.8M
rows take a few seconds and memory stays at a few sample-sized strings.

Usage::

    python benchmarks/make_big_twcs.py --rows 2800000 --out benchmarks/out/twcs_big.csv
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from pathlib import Path

import numpy as np

from twcs_classifier.twcs_rows import REQUIRED_COLUMNS

HERE = Path(__file__).resolve().parent
DEFAULT_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "twcs_real_sample.csv"
DEFAULT_OUT = HERE / "out" / "twcs_big.csv"
HEADER = list(REQUIRED_COLUMNS)  # twcs.csv's columns, in the file's order
_INT_RE = re.compile(r"^([0-9]+)(\.0*)?$")  # "123" or the float form "123.0"
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')

# Kinds of placeholder: a tweet id (shifted by the tweet offset), an author id, or the copy number.
TWEET, AUTHOR, COPY = 0, 1, 2


def quote(field: str) -> str:
    """Quote a field the way the original file does (RFC 4180, minimal quoting)."""
    if _NEEDS_QUOTES.search(field):
        return '"' + field.replace('"', '""') + '"'
    return field


def _lit(text: str) -> str:
    """A literal piece of the %-template."""
    return text.replace("%", "%%")


class _Row:
    """One sample row as a %-template piece plus the base values of its placeholders."""

    __slots__ = ("kinds", "template", "values")

    def __init__(self) -> None:
        self.template: list[str] = []
        self.values: list[int] = []
        self.kinds: list[int] = []

    def lit(self, text: str) -> None:
        self.template.append(_lit(text))

    def num(self, value: int, kind: int, suffix: str = "") -> None:
        self.template.append("%d" + _lit(suffix))
        self.values.append(value)
        self.kinds.append(kind)

    def id_token(self, token: str, kind: int, float_links: bool = False) -> None:
        """An id: numeric ones become placeholders, anything else is kept verbatim."""
        m = _INT_RE.match(token)
        if m is None:
            self.lit(token)
            return
        suffix = m.group(2) or ""
        if float_links and not suffix:
            suffix = ".0"
        self.num(int(m.group(1)), kind, suffix)


def build_rows(
    sample: Path, offset_authors: bool, float_links: bool, unique_texts: bool = False
) -> tuple[str, list[_Row]]:
    """Parse the sample into per-row templates. Returns the header line and the rows."""
    rows: list[_Row] = []
    with open(sample, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        if header != HEADER:
            sys.exit(f"{sample}: unexpected header {header!r}; expected {HEADER!r}")
        for rec in reader:
            if len(rec) != len(HEADER):  # keep odd rows verbatim: the reader must cope with them
                r = _Row()
                r.lit(",".join(quote(f) for f in rec) + "\n")
                rows.append(r)
                continue
            tweet_id, author_id, inbound, created_at, text, responses, parent = rec
            r = _Row()
            r.id_token(tweet_id, TWEET)
            r.lit(",")
            if offset_authors and author_id.isdigit():
                r.num(int(author_id), AUTHOR)
            else:
                r.lit(quote(author_id))
            r.lit("," + ",".join(quote(f) for f in (inbound, created_at)) + ",")
            if unique_texts:  # the text ends in " #<copy>" so every copy's texts are new texts
                quoted = _NEEDS_QUOTES.search(text) is not None
                r.lit(('"' + text.replace('"', '""') if quoted else text) + " #")
                r.num(0, COPY)
                r.lit('",' if quoted else ",")
            else:
                r.lit(quote(text) + ",")
            # response_tweet_id: a comma-separated list, quoted when it has several ids.
            if responses:
                quoted = _NEEDS_QUOTES.search(responses) is not None
                if quoted:
                    r.lit('"')
                for i, tok in enumerate(responses.split(",")):
                    if i:
                        r.lit(",")
                    r.id_token(tok.replace('"', '""'), TWEET)
                if quoted:
                    r.lit('"')
            r.lit(",")
            if parent:
                if _NEEDS_QUOTES.search(parent):
                    r.lit(quote(parent))
                else:
                    r.id_token(parent, TWEET, float_links=float_links)
            r.lit("\n")
            rows.append(r)
    return ",".join(header) + "\n", rows


def generate(
    sample: Path,
    out: Path,
    n_rows: int,
    offset_authors: bool = True,
    float_links: bool = False,
    unique_texts: bool = False,
) -> dict[str, float]:
    t0 = time.perf_counter()
    header, rows = build_rows(sample, offset_authors, float_links, unique_texts)
    n_sample = len(rows)
    if n_sample == 0:
        sys.exit(f"{sample} has no data rows")

    tweet_vals = [v for r in rows for v, k in zip(r.values, r.kinds) if k == TWEET]
    author_vals = [v for r in rows for v, k in zip(r.values, r.kinds) if k == AUTHOR]
    tweet_step = (max(tweet_vals) + 1) if tweet_vals else 0
    author_step = (max(author_vals) + 1) if author_vals else 0

    base = np.array([v for r in rows for v in r.values], dtype=np.int64)
    kinds = np.array([k for r in rows for k in r.kinds], dtype=np.int8)
    n_args = np.cumsum([0] + [len(r.values) for r in rows])  # placeholders before row i
    pieces = ["".join(r.template) for r in rows]
    full_template = "".join(pieces)
    del rows

    full_copies, rest = divmod(n_rows, n_sample)
    max_tweet_id = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "w", encoding="utf-8", newline="", buffering=1 << 22) as fh:
        fh.write(header)
        for k in range(full_copies + (1 if rest else 0)):
            shift = np.select([kinds == TWEET, kinds == AUTHOR], [k * tweet_step, k * author_step], default=k)
            shifted = base + shift
            if k == full_copies - 1 or k == full_copies:  # the last copy holds the largest ids
                used = shifted if k < full_copies else shifted[: n_args[rest]]
                tw = used[kinds[: len(used)] == TWEET]
                max_tweet_id = max(max_tweet_id, int(tw.max()) if len(tw) else 0)
            vals = shifted.tolist()
            if k < full_copies:
                fh.write(full_template % tuple(vals))
            else:
                fh.write("".join(pieces[:rest]) % tuple(vals[: n_args[rest]]))
    tmp.replace(out)
    return {
        "rows": n_rows,
        "sample_rows": n_sample,
        "copies": full_copies + (rest / n_sample),
        "tweet_id_step": tweet_step,
        "max_tweet_id": max_tweet_id,
        "bytes": out.stat().st_size,
        "seconds": time.perf_counter() - t0,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=2_800_000, help="data rows to write (default 2,800,000)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output CSV (default {DEFAULT_OUT})")
    ap.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE, help=f"real twcs sample (default {DEFAULT_SAMPLE})")
    ap.add_argument(
        "--no-offset-authors",
        dest="offset_authors",
        action="store_false",
        help="keep customer author ids as in the sample (default: shift them per copy like tweet ids)",
    )
    ap.add_argument(
        "--float-links",
        action="store_true",
        help="write in_response_to_tweet_id as floats (123.0), as pandas wrote the Kaggle file",
    )
    ap.add_argument(
        "--unique-texts",
        action="store_true",
        help="end every text with ' #<copy>', so the sample stage does not drop the copies as duplicates "
        "(for timing the default 100k/25k run; the models then learn from marked copies)",
    )
    args = ap.parse_args(argv)
    if args.rows < 1:
        ap.error("--rows must be positive")
    info = generate(args.sample, args.out, args.rows, args.offset_authors, args.float_links, args.unique_texts)
    print(
        f"wrote {info['rows']:,} rows ({info['copies']:.2f} copies of {info['sample_rows']:,}), "
        f"{info['bytes'] / 1e6:,.0f} MB, max tweet_id {info['max_tweet_id']:,} -> {args.out} "
        f"in {info['seconds']:.1f} s"
    )


if __name__ == "__main__":
    main()
