"""The serving path: reading a user's CSV strictly, which columns can hold tweets, blank
texts, output columns, and the CSV written: exact by default, escaped for a spreadsheet on request."""

from __future__ import annotations

import codecs
import io
import re

import numpy as np
import pandas as pd
import pytest

from twcs_classifier import inference, serving, user_csv
from twcs_classifier.csv_output import to_csv_bytes
from twcs_classifier.errors import PipelineError
from twcs_classifier.metrics import classification_metrics
from twcs_classifier.models import TextClassifier
from twcs_classifier.text import is_blank


def test_word_characters_in_any_script_but_not_emoji() -> None:
    assert user_csv.has_word_characters("where is it")
    assert user_csv.has_word_characters("我的订单")
    assert user_csv.has_word_characters("42")
    assert not user_csv.has_word_characters("😀🙏 !!")
    assert not user_csv.has_word_characters("___")


def test_text_like_columns_skip_ids_numbers_and_booleans() -> None:
    frame = pd.DataFrame(
        {
            "tweet_id": ["1", "2"],
            "inbound": ["True", "False"],
            "score": ["1.5", "2e3"],
            "author_id": ["sprintcare", "115712"],
            "text": ["@sprintcare help", "我的订单"],
            "empty": [None, None],
        }
    )
    assert user_csv.text_like_columns(frame) == ["author_id", "text"]
    assert user_csv.text_like_columns(pd.DataFrame({"id": ["1"], "n": ["2"]})) == []


def test_guess_text_column_prefers_names_then_length() -> None:
    frame = pd.DataFrame({"a": ["x", "y"], "Body": ["hi", "yo"], "b": ["a long tweet text", "another one"]})
    assert user_csv.guess_text_column(frame, ["a", "Text", "b"]) == "Text"
    assert user_csv.guess_text_column(frame, ["a", "Body", "b"]) == "Body"
    assert user_csv.guess_text_column(frame, ["a", "tweet_text"]) == "tweet_text"
    assert user_csv.guess_text_column(frame, ["a", "b"]) == "b"
    assert user_csv.guess_text_column(frame, []) is None


# -- reading a user's CSV strictly --------------------------------------------------------------------------
def test_a_csv_is_read_as_strict_utf8_naming_the_line_and_byte() -> None:
    data = 'text,n\n"@Delta où est mon sac 😡",1\n'.encode() + b"caf\xe9,2\n"
    with pytest.raises(PipelineError, match=r"not valid utf-8: byte 0xe9 at line 3, byte 4") as err:
        user_csv.read_csv_upload(io.BytesIO(data))
    assert "--encoding" in str(err.value)  # the command line's way to give the encoding, by default
    with pytest.raises(PipelineError, match="or pick it in the box") as err:
        user_csv.read_csv_upload(io.BytesIO(data), encoding_fix="pick it in the box")  # the app's
    assert "--encoding" not in str(err.value)
    latin = user_csv.read_csv_upload(io.BytesIO("text\ncafé\n".encode("latin-1")), encoding="latin-1")
    assert latin["text"].tolist() == ["café"]
    assert user_csv.read_csv_upload(io.BytesIO("\ufefftext\n😡\n".encode()))["text"].tolist() == ["😡"]  # BOM
    with pytest.raises(PipelineError, match="unknown encoding 'klingon'"):
        user_csv.read_csv_upload(io.BytesIO(b"text\nx\n"), encoding="klingon")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"text,n\nhello,1\nthere,2,extra\n", "line 3 of the CSV file has 3 fields, but the header has 2"),
        (b"text,n\nhello,1\nthere\n", "line 3 of the CSV file has 1 fields, but the header has 2"),
        (b"text,id,text\na,1,b\n", "names the column(s) 'text' more than once"),
        (b'text,n\n"open quote,1\n', "could not be read as CSV"),
        (b"", "is empty"),
        (b"\x89PNG\r\n\x00\x00", "binary data"),
    ],
    ids=["extra-field", "missing-field", "duplicate-header", "broken-quote", "empty", "binary"],
)
def test_a_malformed_csv_stops_with_the_line(data: bytes, says: str) -> None:
    with pytest.raises(PipelineError, match=re.escape(says)):
        user_csv.read_csv_upload(io.BytesIO(data))


def test_blank_lines_are_skipped_and_cells_stay_text() -> None:
    frame = user_csv.read_csv_upload(io.BytesIO(b"id,text\r\n007,hi\r\n\r\n008,\r\n"))
    assert frame.to_dict("list") == {"id": ["007", "008"], "text": ["hi", ""]}


# -- labelling a table --------------------------------------------------------------------------------------
class Fixed(TextClassifier):
    """Inbound when the text holds "help"; reads text masked when ``mask``."""

    kind = "fixed"

    def _fit(self, train, validation) -> None:
        pass

    def logits(self, texts: list[str]) -> np.ndarray:
        return np.array([3.0 if "help" in t else -3.0 for t in texts])

    def _save_files(self, directory) -> None:
        pass

    @classmethod
    def _load_files(cls, directory, params):
        return cls(**params)


def test_blank_text_gets_no_prediction_anywhere() -> None:
    model = Fixed()
    for blank in ("", "   ", "\t\n", "\u00a0\u200b"):
        assert is_blank(blank) and inference.blank_mask(model, [blank]).tolist() == [True]
        with pytest.raises(PipelineError, match="is blank"):
            inference.predict(model, ["help me", blank])
    assert not is_blank("!!") and not is_blank("😀")
    assert is_blank("^JK", masked=True) and not is_blank("^JK")  # masking can leave nothing
    frame = pd.DataFrame({"text": ["help me", "   ", None, "", "thanks"]})
    table = serving.predict_dataframe(model, frame, "text")
    assert table.frame["predicted_label"].fillna("").tolist() == ["inbound", "", "", "", "outbound"]
    assert table.counts == {"rows": 5, "labelled": 2, "inbound": 1, "outbound": 1, "missing_text": 3}


def test_output_columns_never_overwrite_input_columns() -> None:
    frame = pd.DataFrame({"text": ["help", "no"], "confidence": ["high", "low"], "predicted_label": ["x", "y"]})
    table = serving.predict_dataframe(Fixed(), frame, "text")
    assert list(table.frame.columns) == [
        "text",
        "confidence",
        "predicted_label",
        "predicted_label_1",
        "p_inbound",
        "p_outbound",
        "confidence_1",
    ]
    assert table.frame["confidence"].tolist() == ["high", "low"] and table.label_column == "predicted_label_1"
    assert table.frame["predicted_label_1"].tolist() == ["inbound", "outbound"]


TRICKY = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "＝1", "fine", "-1.5", "'quoted"]


def test_a_csv_is_exact_by_default_and_escaped_for_a_spreadsheet_on_request() -> None:
    frame = pd.DataFrame({"text": TRICKY, "n": range(1, len(TRICKY) + 1), "=cmd": "a"})
    exact = to_csv_bytes(frame)
    got = pd.read_csv(io.BytesIO(exact), dtype=str, keep_default_na=False)
    assert got["text"].tolist() == TRICKY and list(got.columns) == ["text", "n", "=cmd"]
    assert not exact.startswith(codecs.BOM_UTF8)

    safe = to_csv_bytes(frame, spreadsheet=True)
    assert safe.startswith(codecs.BOM_UTF8)  # so a spreadsheet reads it as UTF-8
    got = pd.read_csv(io.BytesIO(safe), dtype=str, keep_default_na=False)
    assert got["text"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1+2",
        "'-2+3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "'＝1",
        "fine",
        "-1.5",
        "'quoted",
    ]
    assert got["n"].tolist() == [str(i) for i in range(1, len(TRICKY) + 1)] and list(got.columns)[-1] == "'=cmd"


# -- a label column: how right the model is ------------------------------------------------------------
def test_read_labels_takes_booleans_digits_and_class_names() -> None:
    values = pd.Series(["True", " false ", "1", "0", "INBOUND", "outbound", "maybe", None])
    got = user_csv.read_labels(values)
    assert got[:6].tolist() == ["inbound", "outbound", "inbound", "outbound", "inbound", "outbound"]
    assert got[6:].isna().all()


def test_label_like_columns_and_the_guess_by_name() -> None:
    frame = pd.DataFrame(
        {"text": ["@a hi", "@1 sorry"], "inbound": ["True", "False"], "gold": ["inbound", None], "n": ["5", "1"]}
    )
    assert user_csv.label_like_columns(frame) == ["inbound", "gold"]
    assert user_csv.guess_label_column(["gold", "inbound"]) == "inbound"
    assert user_csv.guess_label_column(["Label"]) == "Label"
    assert user_csv.guess_label_column(["gold"]) is None  # only a user's choice makes it the truth


def test_label_metrics_scores_rows_with_a_text_and_a_label() -> None:
    frame = pd.DataFrame(
        {
            "truth": ["True", "False", "True", "x", "False"],
            "p_inbound_1": [0.9, 0.2, 0.4, 0.8, np.nan],  # the last row had no text
        }
    )
    names = {c: c for c in serving.OUTPUT_COLUMNS} | {"p_inbound": "p_inbound_1"}  # found by its output name
    table = serving.LabelledTable(frame, names, counts={})
    got = serving.label_metrics(table, "truth")
    want = classification_metrics(np.array([1, 0, 1]), np.array([0.9, 0.2, 0.4]))
    assert got == {**want, "rows_scored": 3, "rows_not_scored": 2, "rows_without_text": 1, "rows_without_label": 1}
    unreadable = serving.LabelledTable(frame.assign(truth="?"), names, counts={})
    assert serving.label_metrics(unreadable, "truth") is None
