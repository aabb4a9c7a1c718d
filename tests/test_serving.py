"""The CSV input of the serving path: which columns can hold tweets, which one does."""

from __future__ import annotations

import pandas as pd

from twcs_classifier import serving


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
