"""Text normalisation: the one definition, in Python.

:func:`normalise` and :func:`mask` apply their rules in order. Everything that reads text
calls these functions: the logistic regression's preprocessor, the tokenizer that turns
text into the Keras models' ids (:mod:`twcs_classifier.tokenizer`) in the clean_tokenize
stage and in serving, and the check for blank text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

WHITESPACE = " \t\n\r\f\v\u00a0" + "".join(map(chr, range(0x2000, 0x200C))) + "\u2028\u2029\u3000"
"""What separates tokens (the zero-width space U+200B among them)."""

PUNCTUATION = '!"#$%&()*+,-./:;<=>?[\\]^`{|}~'
"""ASCII punctuation split off words; '@', '_' and "'" stay inside tokens (handles, can't)."""
ENTITIES: tuple[tuple[str, str], ...] = (("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"))
"""HTML entities that twcs keeps escaped, unescaped in this order."""
LINK = r"https?://[^ \t\n\r\f\v]+"
"""A link: a random t.co id, so only the fact that there was one is kept (``xxurl``)."""

_LINK = re.compile(LINK)
# One pass of str.translate: typographic quotes to ASCII (so "can’t" and "can't" are one
# token), each punctuation character to itself between spaces, all whitespace to a space.
_CHARACTERS = str.maketrans(
    {"\u2018": "'", "\u2019": "'", **{c: f" {c} " for c in PUNCTUATION}, **dict.fromkeys(WHITESPACE, " ")}
)

MASK_RULES: tuple[tuple[str, str], ...] = (
    # An agent's sign-off at the very end: "^JK", "-KC", "/GK", "*TS", "~Ann" (case matters:
    # these rules run on the raw text, before lower-casing).
    ("[ \t\n]*[\\^/~*\u2013\u2014-] ?[A-Z][A-Za-z]{0,3}[ \t\n]*$", ""),
    # Links, then every @handle (brand names and numeric customer ids alike).
    (LINK, " xxurl "),
    (r"(^|[^A-Za-z0-9_])@[A-Za-z0-9_]+", r"\1@user"),
    # Numeric ids (order, case, phone numbers): any run of four or more digits.
    (r"[0-9]{4,}", "xxnum"),
)
"""(pattern, replacement) pairs that remove the marks of who wrote a tweet, applied to
raw text before :func:`normalise` when masking is on."""

_MASK_COMPILED = tuple((re.compile(p), r) for p, r in MASK_RULES)


def normalise(text: str) -> str:
    """Normalise one tweet, in this order: lower-case; unescape :data:`ENTITIES`; replace each
    :data:`LINK` with `` xxurl ``; typographic single quotes to ``'``; put a space either side
    of each :data:`PUNCTUATION` character; one space for each run of :data:`WHITESPACE`, none
    at the ends.

    >>> normalise("@AmazonHelp  Where's my order?! https://t.co/abc &amp; more")
    "@amazonhelp where's my order ? ! xxurl & more"
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise expects a str, got {type(text).__name__}")
    out = text.lower()
    for entity, char in ENTITIES:
        out = out.replace(entity, char)
    if "http" in out:
        out = _LINK.sub(" xxurl ", out)
    return " ".join(filter(None, out.translate(_CHARACTERS).split(" ")))


def normalise_many(texts: Iterable[str]) -> list[str]:
    """Apply :func:`normalise` to each text (the scikit-learn preprocessor uses this)."""
    return [normalise(t) for t in texts]


def mask(text: str) -> str:
    """Remove the marks of the author from a raw tweet: @handles become ``@user``, links
    ``xxurl``, runs of 4+ digits ``xxnum``, and a trailing agent sign-off is dropped.

    >>> mask("@115712 Sorry! See https://t.co/x, order 123456 ^JK")
    '@user Sorry! See  xxurl  order xxnum'
    """
    if not isinstance(text, str):
        raise TypeError(f"mask expects a str, got {type(text).__name__}")
    out = text
    for pattern, repl in _MASK_COMPILED:
        out = pattern.sub(repl, out)
    return out


def mask_many(texts: Iterable[str]) -> list[str]:
    """Apply :func:`mask` to each text."""
    return [mask(t) for t in texts]


def mask_normalise_many(texts: Iterable[str]) -> list[str]:
    """:func:`mask`, then :func:`normalise`, for each text (the masked preprocessor)."""
    return [normalise(mask(t)) for t in texts]


def preprocess_many(texts: Iterable[str], masked: bool) -> list[str]:
    """The model input for raw texts: normalised, and masked first when ``masked``."""
    return mask_normalise_many(texts) if masked else normalise_many(texts)


WRITTEN_SPACE = re.compile("[ \t\n\r\f\v]+")
"""The whitespace between written words: the characters a link ends at (the link rules)."""
SIGN_OFF = _MASK_COMPILED[0][0]
"""An agent's sign-off at the very end of a raw text (the first of :data:`MASK_RULES`)."""


def words(text: str, masked: bool = False) -> list[tuple[str, ...]]:
    """The tokens of ``text`` the model reads (:func:`preprocess_many`, split on spaces), grouped
    into the words a person reads: the tokens of each run of text between whitespace
    (:data:`WRITTEN_SPACE`) form one word, so ``"us!"`` is ``("us", "!")``, and an agent's trailing
    sign-off (:data:`SIGN_OFF`) is one word of its own, with or without a space
    after its mark, and apart from the word it is glued to. Masking drops the sign-off.

    The words' tokens, in order, are exactly the text's tokens: every rule but the sign-off's
    acts within a run of text between whitespace (checked, not assumed: if a text ever broke
    that, the sign-off is not split off, and failing that each token is a word of its own).

    >>> words("Please DM us! Thanks-LT")
    [('please',), ('dm',), ('us', '!'), ('thanks',), ('-', 'lt')]
    >>> words("Sorry :( - LT")
    [('sorry',), (':', '('), ('-', 'lt')]
    """
    raw = mask(text) if masked else text
    expected = preprocess_many([text], masked)[0]
    tokens = expected.split(" ") if expected else []
    sign_off = None if masked else SIGN_OFF.search(raw)
    cuts = ([sign_off.start()] if sign_off is not None else []) + [len(raw)]
    for cut in cuts:
        pieces = [*WRITTEN_SPACE.split(raw[:cut]), raw[cut:]]
        grouped = [tuple(n.split(" ")) for n in map(normalise, pieces) if n]
        if [t for word in grouped for t in word] == tokens:
            return grouped
    return [(t,) for t in tokens]


def is_blank(text: str, masked: bool = False) -> bool:
    """Whether nothing is left of ``text`` once normalised (and masked first when ``masked``):
    empty, only whitespace, or only what masking removes. The one rule for text that gets
    no prediction, in the CLI, a CSV and the app."""
    return not preprocess_many([text], masked)[0]


def as_text_list(texts: Sequence[str] | Iterable[str]) -> list[str]:
    """Check that every item is a string and return them as a list.

    Raises a :class:`TypeError` naming the first offending position, so a caller
    that passes ``None`` or a number learns where, instead of a crash deep in a model.
    """
    items = list(texts)
    for i, t in enumerate(items):
        if not isinstance(t, str):
            raise TypeError(f"text #{i} is {type(t).__name__}, not str: give raw tweet texts as strings")
    return items
