"""The CSV input of the serving path: which columns can hold tweets, which one does."""

from __future__ import annotations

import numpy as np
import pandas as pd

from twcs_classifier import serving
from twcs_classifier.metrics import classification_metrics


def test_word_characters_in_any_script_but_not_emoji() -> None:
    assert serving.has_word_characters("where is it")
    assert serving.has_word_characters("我的订单")
    assert serving.has_word_characters("42")
    assert not serving.has_word_characters("😀🙏 !!")
    assert not serving.has_word_characters("___")


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
    assert serving.text_like_columns(frame) == ["author_id", "text"]
    assert serving.text_like_columns(pd.DataFrame({"id": ["1"], "n": ["2"]})) == []


def test_guess_text_column_prefers_names_then_length() -> None:
    frame = pd.DataFrame({"a": ["x", "y"], "Body": ["hi", "yo"], "b": ["a long tweet text", "another one"]})
    assert serving.guess_text_column(frame, ["a", "Text", "b"]) == "Text"
    assert serving.guess_text_column(frame, ["a", "Body", "b"]) == "Body"
    assert serving.guess_text_column(frame, ["a", "tweet_text"]) == "tweet_text"
    assert serving.guess_text_column(frame, ["a", "b"]) == "b"
    assert serving.guess_text_column(frame, []) is None


def test_read_labels_takes_booleans_digits_and_class_names() -> None:
    values = pd.Series(["True", " false ", "1", "0", "INBOUND", "outbound", "maybe", None])
    got = serving.read_labels(values)
    assert got[:6].tolist() == ["inbound", "outbound", "inbound", "outbound", "inbound", "outbound"]
    assert got[6:].isna().all()


def test_label_like_columns_and_the_guess_by_name() -> None:
    frame = pd.DataFrame(
        {"text": ["@a hi", "@1 sorry"], "inbound": ["True", "False"], "gold": ["inbound", None], "n": ["5", "1"]}
    )
    assert serving.label_like_columns(frame) == ["inbound", "gold"]
    assert serving.guess_label_column(["gold", "inbound"]) == "inbound"
    assert serving.guess_label_column(["Label"]) == "Label"
    assert serving.guess_label_column(["gold"]) is None  # only a user's choice makes it the truth


def test_label_metrics_scores_rows_with_a_text_and_a_label() -> None:
    result = pd.DataFrame(
        {
            "truth": ["True", "False", "True", "x", "False"],
            "p_inbound": [0.9, 0.2, 0.4, 0.8, np.nan],  # the last row had no text
        }
    )
    got = serving.label_metrics(result, "truth")
    want = classification_metrics(np.array([1, 0, 1]), np.array([0.9, 0.2, 0.4]))
    assert got == {**want, "rows_scored": 3, "rows_not_scored": 2}
    assert serving.label_metrics(result.assign(truth="?"), "truth") is None
