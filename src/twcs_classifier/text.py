"""Text normalisation: the one definition, in Python.

:func:`normalise` and :func:`mask` apply their rules in order. Everything that reads text
calls these functions: the logistic regression's preprocessor, the tokenizer that turns
text into the Keras models' ids (:mod:`twcs_classifier.tokenizer`) in the clean_tokenize
stage and in serving, and the check for blank text.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence

import numpy as np

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
SIGN_OFF_MARKS = {"^": 0.18, "/": 0.18, "~": 0.18, "*": 0.18, "-": 0.18, "\u2013": 0.05, "\u2014": 0.05}
"""The marks a sign-off starts with (:data:`SIGN_OFF`'s), and how often a respelled one has
each: the ASCII ones alike, whichever a brand uses, the en and em dash (one token with the
letters after them, rare in the real sample) less often."""
INITIALS_LENGTHS = {1: 0.05, 2: 0.7, 3: 0.15, 4: 0.1}
"""How many letters a respelled sign-off has, and how often (the real sample: 3 % one letter,
76 % two, 9 % three, 11 % four)."""
SPACED_SHARE = 0.05
"""How often a respelled sign-off has a space after its mark (``- LT``; 4 % in the real sample)."""
NAME_SHARE = 0.2
"""How often its letters after the first are lower-case, a name (``~Ann``; 22 % in the real sample)."""


def respell_sign_off(text: str, rng: np.random.Generator) -> str:
    """``text`` with its trailing sign-off (:data:`SIGN_OFF`) written afresh: a mark drawn from
    :data:`SIGN_OFF_MARKS` (only an ASCII one when the sign-off is glued to the word before it,
    as a dash outside ASCII would join that word's token), then, with :data:`SPACED_SHARE`, a
    space, then new letters: an upper-case one and up to three more (:data:`INITIALS_LENGTHS`),
    lower-case with :data:`NAME_SHARE`. The whitespace around the sign-off and everything
    before it stay as they are; a text without a sign-off comes back unchanged.

    >>> rng = np.random.default_rng(1)
    >>> [respell_sign_off("Please DM us. ^JK", rng) for _ in range(4)]
    ['Please DM us. ~VY', 'Please DM us. ~Qo', 'Please DM us. -LU', 'Please DM us. ~XF']
    >>> respell_sign_off("Where is my bag?", rng)
    'Where is my bag?'
    """
    found = SIGN_OFF.search(text)
    if found is None:
        return text
    sign_off = found.group(0)
    lead = sign_off[: len(sign_off) - len(sign_off.lstrip(" \t\n"))]
    trail = sign_off[len(sign_off.rstrip(" \t\n")) :]
    marks = {m: w for m, w in SIGN_OFF_MARKS.items() if lead or found.start() == 0 or m in PUNCTUATION}
    mark = str(rng.choice(list(marks), p=np.array(list(marks.values())) / sum(marks.values())))
    space = " " if rng.random() < SPACED_SHARE else ""
    n = int(rng.choice(list(INITIALS_LENGTHS), p=list(INITIALS_LENGTHS.values())))
    letters = rng.choice(list(string.ascii_uppercase), size=n)
    rest = "".join(letters[1:])
    initials = letters[0] + (rest.lower() if rng.random() < NAME_SHARE else rest)
    return f"{text[: found.start()]}{lead}{mark}{space}{initials}{trail}"


def respell_some(texts: Sequence[str], share: float, rng: np.random.Generator) -> list[str]:
    """``texts`` with each sign-off respelled (:func:`respell_sign_off`) with probability ``share``.

    >>> respell_some(["ok ^JK", "ok ^JK", "hi"], 0.0, np.random.default_rng(0))
    ['ok ^JK', 'ok ^JK', 'hi']
    """
    chosen = rng.random(len(texts)) < share
    return [respell_sign_off(t, rng) if c else t for t, c in zip(texts, chosen)]


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
