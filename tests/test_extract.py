"""extract: reading twcs.csv, validation, drop counts, conversations and companies."""

import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from twcs_classifier.conversations import derive_company, derive_conversations
from twcs_classifier.errors import PipelineError
from twcs_classifier.extract import extract, read_twcs
from twcs_classifier.twcs_rows import parse_inbound

HEADER = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
ROWS = (
    '1,AmazonHelp,False,Tue Oct 31 22:10:47 +0000 2017,"@115712 Sorry!\nPlease DM us. ^JK",,2\n'
    "2,115712,True,Tue Oct 31 22:08:27 +0000 2017,@AmazonHelp where is my parcel,1,\n"
    '3,115713,TRUE,Tue Oct 31 22:08:27 +0000 2017,"@AppleSupport my phone, again",,\n'
    "4,AppleSupport,FALSE,Tue Oct 31 22:09:27 +0000 2017,@115713 Let us help,,3.0\n"
    "5,115714,1,Tue Oct 31 22:08:27 +0000 2017,@delta lost my bag,,\n"
)


def write(tmp_path: Path, body: str, name: str = "twcs.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_bytes((header + body).encode("utf-8") if isinstance(body, str) else body)
    return path


def test_reads_quoted_newlines_and_types(tmp_path: Path) -> None:
    table, report = read_twcs(write(tmp_path, ROWS))
    assert table.num_rows == 5
    assert table["tweet_id"].to_pylist() == [1, 2, 3, 4, 5]
    assert table["text"][0].as_py() == "@115712 Sorry!\nPlease DM us. ^JK"
    assert table["in_response_to_tweet_id"].to_pylist() == [2, None, None, 3, None]
    assert report.rows_parsed == 5 and report.dropped_unparseable == 0


@pytest.mark.parametrize(
    ("values", "expected"),
    [(["True", "FALSE", "1", "0", " false ", "TRUE"], [True, False, True, False, False, True])],
)
def test_inbound_normalisation(values, expected) -> None:
    got = parse_inbound(pa.array(values), pa.array(range(len(values))))
    assert got.to_pylist() == expected


def test_bad_inbound_value_is_an_error_naming_value_and_tweet(tmp_path: Path) -> None:
    body = ROWS + "6,115715,maybe,Tue Oct 31 22:08:27 +0000 2017,hello,,\n"
    with pytest.raises(PipelineError, match=r"inbound.*'maybe'.*tweet_id 6"):
        read_twcs(write(tmp_path, body))


def test_missing_columns_are_named(tmp_path: Path) -> None:
    header = "tweet_id,author_id,created_at,text\n"
    with pytest.raises(PipelineError, match="inbound, response_tweet_id, in_response_to_tweet_id"):
        read_twcs(write(tmp_path, "1,a,x,hello\n", header=header))


def test_drops_are_counted(tmp_path: Path) -> None:
    body = (
        ROWS
        + "6,115715,True,Tue Oct 31,   ,,\n"  # empty text
        + "2,115712,TRUE,Tue Oct 31 22:08:27 +0000 2017,@AmazonHelp where is my parcel,1,\n"  # a copy: first kept
        + "7,115716,True,too,many,fields,here,and,more\n"  # unparseable
        + "x8,115717,True,Tue Oct 31,bad id,,\n"  # non-integer tweet_id
    )
    table, report = read_twcs(write(tmp_path, body))
    assert report.dropped_empty_text == 1
    assert report.dropped_duplicate_tweet_id == 1
    assert report.dropped_unparseable == 1
    assert report.dropped_bad_tweet_id == 1
    assert table.num_rows == 5
    assert table["text"][1].as_py() == "@AmazonHelp where is my parcel"
    assert (
        report.rows_parsed
        - report.dropped_bad_tweet_id
        - report.dropped_empty_text
        - (report.dropped_duplicate_tweet_id)
        == table.num_rows
    )


CONFLICTS = (
    "2,115712,False,Tue Oct 31 22:08:27 +0000 2017,@AmazonHelp where is my parcel,1,\n"  # label flipped
    "5,115714,1,Tue Oct 31 22:08:27 +0000 2017,@delta lost my bag!!,,\n"  # text changed
    "5,115714,1,Tue Oct 31 22:08:27 +0000 2017,@delta lost my bag,,\n"  # a copy of the first row of 5
    '3,115713,true,Tue Oct 31 22:08:27 +0000 2017,"@AppleSupport my phone, again",,\n'  # a copy (TRUE = true)
)


def test_conflicting_duplicates_lose_every_copy_and_are_counted_apart(tmp_path: Path) -> None:
    table, report = read_twcs(write(tmp_path, ROWS + CONFLICTS), max_conflicting_share=0.5)
    assert sorted(table["tweet_id"].to_pylist()) == [1, 3, 4]  # 2 and 5: which copy is right is unknown
    assert report.dropped_duplicate_tweet_id == 1  # the copy of 3
    assert report.conflicting_tweet_ids == 2 and report.dropped_conflicting_tweet_id == 5  # 2 rows of 2, 3 of 5
    assert report.conflicting_examples == [
        "tweet_id 2: inbound True vs False",
        "tweet_id 5: text '@delta lost my bag' vs '@delta lost my bag!!'",
    ]
    assert report.rows_read == 9 == table.num_rows + report.dropped
    _, full = extract(write(tmp_path, ROWS + CONFLICTS), max_conflicting_share=0.5)
    assert full["conflicting_tweet_ids"] == 2 and full["dropped_conflicting_tweet_id"] == 5


def test_too_many_conflicting_duplicates_stop_with_the_count_and_examples(tmp_path: Path) -> None:
    flipped = "".join(
        f"{i},u{i},{'False' if i % 2 else 'True'},x,tweet {i},,\n" for i in range(1, 41)
    )  # every tweet twice, its label flipped
    original = "".join(f"{i},u{i},{'True' if i % 2 else 'False'},x,tweet {i},,\n" for i in range(1, 41))
    with pytest.raises(PipelineError) as err:
        read_twcs(write(tmp_path, original + flipped))
    text = str(err.value)
    assert "40 tweet_ids (100.00% of 40) appear more than once with different content" in text
    assert "tweet_id 1: inbound True vs False" in text and "extract.max_conflicting_share" in text
    with pytest.raises(PipelineError, match=r"2 tweet_ids \(40\.00% of 5\)"):
        read_twcs(write(tmp_path, ROWS + CONFLICTS), max_conflicting_share=0.39)  # the share is a limit
    assert read_twcs(write(tmp_path, ROWS + CONFLICTS), max_conflicting_share=0.4)[1].conflicting_tweet_ids == 2


def test_missing_file_names_path_and_download(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match=r"not found[\s\S]*fetch-data"):
        read_twcs(tmp_path / "nope.csv")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "twcs.csv"
    path.write_bytes(b"")
    with pytest.raises(PipelineError, match="is empty"):
        read_twcs(path)


def test_header_only(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="no data rows"):
        read_twcs(write(tmp_path, ""))


def test_non_utf8_bytes(tmp_path: Path) -> None:
    body = ROWS.encode() + b"6,115715,True,Tue,caf\xe9 au lait,,\n"
    path = tmp_path / "twcs.csv"
    path.write_bytes(HEADER.encode() + body)
    with pytest.raises(PipelineError, match=r"not valid UTF-8[\s\S]*iconv"):
        read_twcs(path)


def test_zip_with_and_without_twcs(tmp_path: Path) -> None:
    good = tmp_path / "archive.zip"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("twcs/twcs.csv", HEADER + ROWS)
        zf.writestr("sample.csv", "x")
    table, report = read_twcs(good)
    assert table.num_rows == 5 and "twcs/twcs.csv" in report.source
    bad = tmp_path / "other.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "x")
    with pytest.raises(PipelineError, match=r"holds no twcs.csv \(it holds: readme.txt\)"):
        read_twcs(bad)


def _table(ids, parents, children) -> pa.Table:
    return pa.table(
        {
            "tweet_id": pa.array(ids, pa.int64()),
            "in_response_to_tweet_id": pa.array(parents, pa.int64()),
            "response_tweet_id": pa.array(children, pa.string()),
        }
    )


def test_conversations_follow_links_also_through_missing_tweets() -> None:
    # 10 <- 11 <- 12 is a chain; 21 and 22 answer tweet 20, which is not in the file;
    # 30 names its replies (31) only through response_tweet_id; 40 stands alone.
    table = _table(
        [10, 11, 12, 21, 22, 30, 31, 40],
        [None, 10, 11, 20, 20, None, None, None],
        ["11", "12", "", "", "", "31", "", ""],
    )
    conv = derive_conversations(table)
    assert conv.tolist() == [10, 10, 10, 21, 21, 30, 30, 40]


def test_conversations_survive_cycles() -> None:
    conv = derive_conversations(_table([1, 2], [2, 1], ["", ""]))
    assert conv.tolist() == [1, 1]


def test_company_from_reply_author_else_mention() -> None:
    table = pa.table(
        {
            "tweet_id": [1, 2, 3, 4, 5],
            "author_id": ["AmazonHelp", "111", "222", "AppleSupport", "333"],
            "inbound": [False, True, True, False, True],
            "text": ["@111 hi", "@AmazonHelp x", "@applesupport help", "@444 ok", "no handle here"],
        }
    )
    conv = np.array([1, 1, 3, 4, 5])
    company, without = derive_company(table, conv)
    # conversation 3 has no reply: the mention (any case) names AppleSupport
    assert company.tolist() == ["AmazonHelp", "AmazonHelp", "AppleSupport", "AppleSupport", None]
    assert without == 1


def test_extract_reports_every_count(tmp_path: Path) -> None:
    table, report = extract(write(tmp_path, ROWS))
    assert {"conversation_id", "company"} <= set(table.column_names)
    assert "response_tweet_id" not in table.column_names
    assert report["rows_written"] == 5 and report["inbound"] == 3 and report["outbound"] == 2
    assert report["conversations"] == 3  # {1,2}, {3,4}, {5}
    assert table["company"].to_pylist() == ["AmazonHelp", "AmazonHelp", "AppleSupport", "AppleSupport", None]
    assert report["conversations_without_company"] == 1
