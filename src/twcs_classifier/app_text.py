"""A user's strings on an app page as text, never as Markdown or HTML: any string the app did
not write itself (a column name, a file name, a cell, a message holding them) escaped for
Markdown or put in a code span, and a :class:`~twcs_classifier.errors.PipelineError` as the app
shows it, without the server's folder in its paths. No Streamlit here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

_MD_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
"""Every ASCII punctuation character: CommonMark lets each be backslash-escaped, and an escaped
one is shown as itself (no emphasis, code, link, image, HTML tag, entity, maths or colour)."""


def md_text(value: Any) -> str:
    """Any string (a column name, a file name, a cell, a label value, a message holding them) as
    Markdown that Streamlit shows as exactly that text: every ASCII punctuation character is
    backslash-escaped, so ``![x](http://host/p.png)`` is shown, never fetched as an image, and
    ``<b>`` or a backtick is just a character. Line breaks stay line breaks (leading spaces are
    dropped, so no line turns into a code block). The one way the app puts a string it did not
    write itself into Markdown (``st.markdown``, ``st.error``, ``st.caption``, widget labels ...)."""
    lines = str(value).splitlines() or [""]
    return "  \n".join(_MD_PUNCTUATION.sub(r"\\\1", line.strip()) for line in lines)


def md_code(value: Any) -> str:
    """A string as a Markdown code span that holds exactly it, whatever backticks it contains
    (the fence is one backtick longer than the longest run inside; line breaks become spaces)."""
    text = " ".join(str(value).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def without_root(text: str, root: str | Path) -> str:
    """``text`` with the project's absolute folder left out of every path in it (``/srv/app/models/x``
    -> ``models/x``), so no page shows where the server keeps its files."""
    root = str(root).rstrip("/\\")
    if not root:
        return text
    return text.replace(root + os.sep, "").replace(root + "/", "").replace(root, ".")


def error_markdown(problem: str, fix: str, root: str | Path | None = None) -> str:
    """A :class:`~twcs_classifier.errors.PipelineError` as the app shows it: the problem in bold,
    then how to fix it, both as text (:func:`md_text`: a file or column name in a message is never
    read as Markdown, nor changed: a problem that starts with a file's name keeps its case), with
    the project's folder left out of paths (:func:`without_root`)."""
    if root is not None:
        problem, fix = without_root(problem, root), without_root(fix, root)
    return f"**{md_text(problem)}.**\n\nHow to fix: {md_text(fix)}."
