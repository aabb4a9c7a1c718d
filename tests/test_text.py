"""Text normalisation: the rules."""

import numpy as np
import pytest

from twcs_classifier.text import (
    SIGN_OFF,
    SIGN_OFF_MARKS,
    as_text_list,
    normalise,
    normalise_many,
    preprocess_many,
    respell_sign_off,
    respell_some,
    words,
)

TRICKY = [
    "@AmazonHelp  Where’s my order?! https://t.co/abc &amp; more",
    "@115712 Please DM us. ^JK",
    "İstanbul ÀÉ ß Σ café 😎🤙🏻 #Masters2018 .@Delta /GK",
    " \n tabs\tand\u00a0nbsp  \r\n",
    "$3 bowls — e-mail_x (test) [a] {b} \\ back",
    "",
    "   ",
    "😀😀😀",
    "日本語のツイート、ありがとう！",
    "ΣΑΣ ǅ ẞ Ω",
    "x" * 300,
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hello World", "hello world"),
        ("@AmazonHelp where's my order?", "@amazonhelp where's my order ?"),
        ("see https://t.co/XyZ now", "see xxurl now"),
        ("fish &amp; chips &lt;3", "fish & chips < 3"),
        ("can’t", "can't"),
        ("line\nbreak\r\n  here", "line break here"),
        ("thanks! ^KC", "thanks ! ^ kc"),
        ("   ", ""),
        ("@Ask_Spectrum", "@ask_spectrum"),
        ("&amp;lt;3 &amp;amp;", "< 3 & amp ;"),  # unescaped in order, one pass each
        ("a\u00a0\u2003\u200bb\u3000c\u200cd", "a b c\u200cd"),  # U+200C joins, it is no space
        ("HTTPS://t.co/A. x", "xxurl x"),  # lower-cased first, the link runs to the space
    ],
)
def test_normalise_rules(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_many_keeps_order() -> None:
    assert normalise_many(["B", "a"]) == ["b", "a"]


def test_normalise_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="expects a str"):
        normalise(None)  # type: ignore[arg-type]


def test_as_text_list_names_the_bad_item() -> None:
    with pytest.raises(TypeError, match="text #1 is NoneType"):
        as_text_list(["ok", None])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Please DM us! ^JK", [("please",), ("dm",), ("us", "!"), ("^", "jk")]),
        ("Keep an eye on the app! -LT", [("keep",), ("an",), ("eye",), ("on",), ("the",), ("app", "!"), ("-", "lt")]),
        ("Sorry :( - LT", [("sorry",), (":", "("), ("-", "lt")]),  # a space after the mark: one word
        ("Happy to help / GK \n", [("happy",), ("to",), ("help",), ("/", "gk")]),
        ("Thanks-KC", [("thanks",), ("-", "kc")]),  # glued to the word before: a word of its own
        ("Thanks–KC", [("thanks–kc",)]),  # an en dash is no token of its own: one token, one word
        ("see:https://t.co/x now", [("see", ":", "xxurl"), ("now",)]),
        ("where's my order?!", [("where's",), ("my",), ("order", "?", "!")]),
        ("a\u00a0b", [("a", "b")]),
        ("   ", []),
    ],
)
def test_words_group_the_tokens_written_together(raw: str, expected: list[tuple[str, ...]]) -> None:
    assert words(raw) == expected


def test_masked_words_lose_the_sign_off_and_keep_the_masks() -> None:
    assert words("@AmazonHelp order 123456? ^JK", masked=True) == [("@user",), ("order",), ("xxnum", "?")]


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("raw", [*TRICKY, "ok\x1c\x1fthen", "Thanks!— AB", "a https://t.co/x\u00a0b - LT"])
def test_words_hold_exactly_the_tokens_in_order(raw: str, masked: bool) -> None:
    clean = preprocess_many([raw], masked)[0]
    assert [t for word in words(raw, masked) for t in word] == (clean.split(" ") if clean else [])


SIGNED = [
    "@115712 Please DM us. ^JK",
    "Keep an eye on the app! -LT",
    "We're on it /GK\n",
    "Sorry :( - LT",
    "Thanks-KC",
    "Happy to help.\n~Ann",
    "^JK",
]


@pytest.mark.parametrize("raw", SIGNED)
def test_a_respelled_sign_off_is_still_one_and_only_the_sign_off_changes(raw: str) -> None:
    rng = np.random.default_rng(0)
    start = SIGN_OFF.search(raw).start()
    seen = set()
    for _ in range(200):
        out = respell_sign_off(raw, rng)
        found = SIGN_OFF.search(out)
        assert found is not None and found.start() == start and out[:start] == raw[:start]
        mark_at = start + len(found.group(0)) - len(found.group(0).lstrip(" \t\n"))
        assert out[start:mark_at] == raw[start : start + mark_at - start]  # the whitespace before it kept
        assert out[len(out.rstrip(" \t\n")) :] == raw[len(raw.rstrip(" \t\n")) :]  # and after it
        seen.add(found.group(0).strip())
        grouped = words(out)
        assert len(grouped[-1]) <= 2 and "".join(grouped[-1]) == normalise(found.group(0)).replace(" ", "")
        assert [t for w in grouped[:-1] for t in w] == (normalise(raw[:start]).split(" ") if start else [])
    marks = {s[0] for s in seen}
    assert len(seen) > 100 and marks >= set("^/~*-")  # marks and initials drawn afresh
    initials = [s.lstrip("".join(SIGN_OFF_MARKS) + " ") for s in seen]
    assert {len(i) for i in initials} == {1, 2, 3, 4} and all(i[0].isupper() and i.isalpha() for i in initials)


def test_a_sign_off_glued_to_a_word_keeps_an_ascii_mark() -> None:
    rng = np.random.default_rng(1)
    outs = [respell_sign_off("Thanks-KC", rng) for _ in range(300)]
    assert {o[6] for o in outs} == set("^/~*-")
    assert all(words(o)[0] == ("thanks",) for o in outs)  # its own word still


@pytest.mark.parametrize("raw", ["Where is my bag?", "", "I love it -john", "and/or", "my order 12345"])
def test_a_text_without_a_sign_off_comes_back_unchanged(raw: str) -> None:
    rng = np.random.default_rng(0)
    assert all(respell_sign_off(raw, rng) == raw for _ in range(20))


def test_respelling_is_seeded_and_respell_some_respells_about_its_share() -> None:
    texts = ["Please DM us. ^JK"] * 1000 + ["Where is my bag?"] * 100
    first = respell_some(texts, 0.4, np.random.default_rng(5))
    assert first == respell_some(texts, 0.4, np.random.default_rng(5))
    assert 330 < sum(t != "Please DM us. ^JK" for t in first[:1000]) < 470
    assert first[1000:] == texts[1000:]
    assert respell_some(texts, 0.0, np.random.default_rng(5)) == texts
