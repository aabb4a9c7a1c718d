"""Reading the files the pipeline wrote: JSON and Parquet, where a missing or unreadable file
is a :class:`~twcs_classifier.errors.PipelineError` that says how to get it back
(:func:`~twcs_classifier.dvc_pipeline.restore_hint`), JSON that may be absent (the app then says
what to build), and a file's SHA-256. Writing them is :mod:`twcs_classifier.files`'.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dvc_pipeline import restore_hint
from .errors import PipelineError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_json", "read_json_or_none", "read_parquet", "sha256_file"]


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file the pipeline wrote; a missing or unreadable one is a
    :class:`PipelineError` that says how to get it back (:func:`~twcs_classifier.dvc_pipeline.restore_hint`:
    from DVC's cache or git, or by rerunning the stage that writes it, one dvc.yaml has)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PipelineError(f"{path} is missing", restore_hint(path)) from None
    except (json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError) as err:
        raise PipelineError(f"{path} cannot be read as JSON ({err})", restore_hint(path)) from None


def read_json_or_none(path: str | os.PathLike[str]) -> Any:
    """The JSON in ``path``, or ``None`` if the file does not exist or cannot be read (the
    app then says what to build instead of failing)."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_parquet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a Parquet file the pipeline wrote; a missing or unreadable one is a
    :class:`PipelineError` that says how to get it back (:func:`~.dvc_pipeline.restore_hint`)."""
    path = Path(path)
    if not path.is_file():
        raise PipelineError(f"{path} is missing", restore_hint(path))
    import pandas as pd  # here, not at import: serving one tweet never loads pandas

    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:
        raise PipelineError(f"{path} cannot be read as Parquet ({err})", restore_hint(path)) from None


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 of a file's bytes, as hex (read in blocks: any size in little memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
