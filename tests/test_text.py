"""Text normalisation: the rules."""

import pytest

from twcs_classifier.text import as_text_list, normalise, normalise_many

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
