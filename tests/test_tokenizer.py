"""Text → ids: the vocabulary comes from training text only; ids are stable; the network's
inputs look each distinct token up once."""

import numpy as np
import pytest

from twcs_classifier.tokenizer import (
    OOV,
    PAD,
    Tokenizer,
    adapt_tokenizer,
    input_token_ngrams,
    network_inputs,
    token_ngram_ids,
)


def test_vocabulary_is_ranked_by_count_then_alphabet() -> None:
    tok = adapt_tokenizer(["b a c", "a b", "a"], max_tokens=10, sequence_length=4)
    assert tok.vocabulary == (PAD, OOV, "a", "b", "c")


def test_max_tokens_caps_the_vocabulary() -> None:
    tok = adapt_tokenizer(["b a c", "a b", "a"], max_tokens=3, sequence_length=4)
    assert tok.vocabulary == (PAD, OOV, "a")


def test_only_training_text_enters_the_vocabulary() -> None:
    tok = adapt_tokenizer(["train words only"], max_tokens=100, sequence_length=3)
    assert "validation" not in tok.vocabulary


def test_save_and_load_round_trip(tmp_path) -> None:
    tok = adapt_tokenizer(["ça va", "日本 語"], max_tokens=10, sequence_length=2, mask=True, char_ngram_min=3)
    tok.save(tmp_path / "t.json")
    assert Tokenizer.load(tmp_path / "t.json") == tok


def test_a_file_of_another_format_is_named(tmp_path) -> None:
    (tmp_path / "old.json").write_text('{"vocabulary": ["", "[UNK]"], "sequence_length": 4, "mask": false}')
    with pytest.raises(ValueError, match="format 1, this version reads format 2"):
        Tokenizer.load(tmp_path / "old.json")


def test_bad_sizes() -> None:
    with pytest.raises(ValueError, match="max_tokens"):
        adapt_tokenizer(["a"], max_tokens=2, sequence_length=3)
    with pytest.raises(ValueError, match="sequence_length"):
        adapt_tokenizer(["a"], max_tokens=5, sequence_length=0)


def test_ngram_ids_are_crc32_of_each_piece_of_the_bracketed_token() -> None:
    import zlib

    pieces = ["<h", "hi", "i>", "<hi", "hi>"]  # 2- then 3-grams of "<hi>"
    assert token_ngram_ids("hi", 2, 3, 1000) == tuple(zlib.crc32(p.encode()) % 1000 + 1 for p in pieces)
    # Stable across runs and machines (not Python's salted hash()): fixed values.
    assert token_ngram_ids("hi", 2, 3, 1000) == (707, 373, 867, 542, 8)
    assert token_ngram_ids("x", 4, 5, 1000) == ()  # "<x>" is shorter than 4
    assert all(1 <= i <= 7 for i in token_ngram_ids("sorry", 2, 5, 7))  # 0 is padding
    assert token_ngram_ids("a" * 100, 2, 2, 1000) == token_ngram_ids("a" * 32, 2, 2, 1000)  # first 32 characters
    assert token_ngram_ids("hi", 2, 0, 1000) == ()  # n-grams off


def test_encode_reads_masked_normalised_cut_text_and_shares_one_table() -> None:
    tok = adapt_tokenizer(["please dm us"], max_tokens=10, sequence_length=3, ngram_buckets=97)
    enc = tok.encode(["Please DM us now ^JK", "@Delta please"], with_masked=True)
    assert [[enc.table.tokens[i] for i in r] for r in enc.rows] == [["please", "dm", "us"], ["@delta", "please"]]
    assert [[enc.table.tokens[i] for i in r] for r in enc.masked_rows] == [["please", "dm", "us"], ["@user", "please"]]
    assert len(set(enc.table.tokens)) == len(enc.table)  # each distinct token once
    v = {w: i for i, w in enumerate(tok.vocabulary)}
    assert [int(enc.table.word_ids[enc.table.tokens.index(t)]) for t in ("please", "@delta")] == [v["please"], 1]
    assert np.array_equal(enc.table.ngrams_of(enc.table.tokens.index("dm")), token_ngram_ids("dm", 2, 5, 97))


def test_network_inputs_look_each_distinct_token_up_once_without_padding_its_ngrams() -> None:
    tok = adapt_tokenizer(["a b"], max_tokens=10, sequence_length=8, ngram_buckets=50)
    enc = tok.encode(["a b a", "b", ""])
    x = network_inputs(enc.table, enc.rows)
    assert x["positions"].shape == (3, 3) and x["ngram_counts"].shape[0] == x["words"].shape[0] == 2
    p = x["positions"]
    assert p[0, 0] == p[0, 2] != p[0, 1] == p[1, 0] and p[1, 1:].tolist() == [0, 0] and p[2].tolist() == [0, 0, 0]
    for row, token in ((p[0, 0] - 1, "a"), (p[0, 1] - 1, "b")):
        assert tuple(input_token_ngrams(x, row)) == token_ngram_ids(token, 2, 5, 50)
    no_padding = 2 * len(token_ngram_ids("a", 2, 5, 50))
    assert len(x["ngrams"]) == x["ngram_counts"].sum() == no_padding
    empty = network_inputs(enc.table, [enc.rows[2]])
    assert empty["positions"].shape == (1, 1) and empty["ngrams"].shape == empty["ngram_counts"].shape == (0,)


def test_encode_onto_extends_a_table_and_keeps_its_rows() -> None:
    tok = adapt_tokenizer(["hi there", "ok ok"], max_tokens=10, sequence_length=4, ngram_buckets=100)
    base = tok.encode(["hi there", "ok"])
    table, rows = tok.encode_onto(base.table, ["hi you ^ab", "ok", ""])
    n = len(base.table)
    assert table.tokens[:n] == base.table.tokens and table.tokens[n:] == ("you", "^", "ab")
    for i in range(n):  # the rows encoded against the first table mean the same
        assert (
            np.array_equal(table.ngrams_of(i), base.table.ngrams_of(i)) and table.word_ids[i] == base.table.word_ids[i]
        )
    assert [[table.tokens[r] for r in row] for row in rows] == [["hi", "you", "^", "ab"], ["ok"], []]
    for i, token in enumerate(table.tokens):  # every token's ids are the tokenizer's
        alone = tok.table([token])
        assert np.array_equal(table.ngrams_of(i), alone.ngrams_of(0)) and table.word_ids[i] == alone.word_ids[0]
    assert tok.encode_onto(base.table, ["ok"])[0] is base.table  # nothing new: the same table
