"""Text normalisation: the one definition, applied in Python and inside TensorFlow.

The rules are a table of regular expressions written in the subset that Python's
:mod:`re` and RE2 (used by ``tf.strings.regex_replace``) read the same way. Python
code (the cleaned-text column, the logistic regression's preprocessor) calls
:func:`normalise`; the Keras models carry :func:`tf_normalise` inside their
``TextVectorization`` layer, so a saved model takes raw tweets. A test checks that
both give the same strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# Real characters, not escapes: RE2 does not read \uXXXX.
_WS = "[ \t\n\r\f\v\u00a0\u2000-\u200b\u2028\u2029\u3000]"

NORMALISATION_RULES: tuple[tuple[str, str], ...] = (
    # HTML entities that twcs keeps escaped.
    (r"&amp;", "&"),
    (r"&lt;", "<"),
    (r"&gt;", ">"),
    # Links are random t.co ids: keep only the fact that there was a link.
    (r"https?://[^ \t\n\r\f\v]+", " xxurl "),
    # Typographic quotes to ASCII, so "can’t" and "can't" are one token.
    ("[\u2018\u2019]", "'"),
    # Split ASCII punctuation off words; '@', '_' and "'" stay inside tokens (handles, can't).
    (r"([!\"#$%&()*+,\-./:;<=>?\[\\\]^`{|}~])", r" \1 "),
    # One space between tokens, none at the ends.
    (_WS + "+", " "),
    (r"^ +| +$", ""),
)
"""(pattern, replacement) pairs applied in order after lower-casing."""

_COMPILED = tuple((re.compile(p), r) for p, r in NORMALISATION_RULES)


def normalise(text: str) -> str:
    """Normalise one tweet: lower-case, unescape, replace links, split punctuation.

    >>> normalise("@AmazonHelp  Where's my order?! https://t.co/abc &amp; more")
    "@amazonhelp where's my order ? ! xxurl & more"
    """
    if not isinstance(text, str):
        raise TypeError(f"normalise expects a str, got {type(text).__name__}")
    out = text.lower()
    for pattern, repl in _COMPILED:
        out = pattern.sub(repl, out)
    return out


def normalise_many(texts: Iterable[str]) -> list[str]:
    """Apply :func:`normalise` to each text (the scikit-learn preprocessor uses this)."""
    return [normalise(t) for t in texts]


def tf_normalise(texts: Any) -> Any:
    """The same rules as :func:`normalise`, as TensorFlow string ops.

    Used as the ``standardize`` callable of the Keras ``TextVectorization`` layer,
    so it runs inside a saved model on raw strings.
    """
    import tensorflow as tf

    out = tf.strings.lower(texts, encoding="utf-8")
    for pattern, repl in NORMALISATION_RULES:
        out = tf.strings.regex_replace(out, pattern, repl)
    return out


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
