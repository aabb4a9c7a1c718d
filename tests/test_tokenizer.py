"""clean_tokenize: the vocabulary comes from training text only; ids are stable."""

import numpy as np
import pytest

from twcs_classifier.tokenizer import OOV, PAD, Tokenizer, adapt_tokenizer


def test_vocabulary_is_ranked_by_count_then_alphabet() -> None:
    tok = adapt_tokenizer(["b a c", "a b", "a"], max_tokens=10, sequence_length=4)
    assert tok.vocabulary == (PAD, OOV, "a", "b", "c")


def test_max_tokens_caps_the_vocabulary() -> None:
    tok = adapt_tokenizer(["b a c", "a b", "a"], max_tokens=3, sequence_length=4)
    assert tok.vocabulary == (PAD, OOV, "a")


def test_encode_pads_cuts_and_marks_unknown_words() -> None:
    tok = adapt_tokenizer(["we are sorry", "my order"], max_tokens=20, sequence_length=4)
    ids = tok.encode(["we are", "my order is late today", "never seen"])
    assert ids.dtype == np.int32 and ids.shape == (3, 4)
    v = {w: i for i, w in enumerate(tok.vocabulary)}
    assert ids[0].tolist() == [v["we"], v["are"], 0, 0]
    assert ids[1].tolist() == [v["my"], v["order"], 1, 1]
    assert ids[2].tolist() == [1, 1, 0, 0]


def test_only_training_text_enters_the_vocabulary() -> None:
    tok = adapt_tokenizer(["train words only"], max_tokens=100, sequence_length=3)
    assert "validation" not in tok.vocabulary


def test_save_and_load_round_trip(tmp_path) -> None:
    tok = adapt_tokenizer(["ça va", "日本 語"], max_tokens=10, sequence_length=2)
    tok.save(tmp_path / "t.json")
    assert Tokenizer.load(tmp_path / "t.json") == tok


def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        adapt_tokenizer(["a"], max_tokens=2, sequence_length=3)
    with pytest.raises(ValueError, match="sequence_length"):
        adapt_tokenizer(["a"], max_tokens=5, sequence_length=0)
