"""Get twcs.csv to ``data.raw_path``: use what is there, unzip a Kaggle archive, or download."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from .errors import PipelineError
from .files import atomic_path

KAGGLE_DATASET = "thoughtvector/customer-support-on-twitter"
CSV_NAME = "twcs.csv"


def kagglehub_download(dataset: str) -> Path:
    """Download the dataset with kagglehub (public: no credentials) and return its folder."""
    import kagglehub

    return Path(kagglehub.dataset_download(dataset))


def _find_csv(folder: Path) -> Path | None:
    if folder.is_file():
        return folder if folder.name == CSV_NAME or zipfile.is_zipfile(folder) else None
    hits = sorted(folder.rglob(CSV_NAME))
    return hits[0] if hits else None


def _unzip_member(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.namelist() if Path(m).name == CSV_NAME]
        if not members:
            raise PipelineError(
                f"zip archive {archive} holds no {CSV_NAME}",
                f"use the Kaggle archive of {KAGGLE_DATASET}",
            )
        with zf.open(members[0]) as src, atomic_path(target) as tmp, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def ensure_raw_data(
    raw_path: str | Path,
    dataset: str = KAGGLE_DATASET,
    download: Callable[[str], Path] = kagglehub_download,
) -> Path:
    """Make sure twcs.csv is at ``raw_path`` and return that path.

    In order: the file is already there; a ``.zip`` beside it (``raw_path`` with a
    ``.zip`` suffix, or any zip in its folder) holds twcs.csv; or it is downloaded with
    ``download``. Without a network and without the file this raises a
    :class:`PipelineError` that names the path to put the file at.
    """
    raw_path = Path(raw_path)
    if raw_path.exists():
        return raw_path
    folder = raw_path.parent
    zips = [raw_path.with_suffix(".zip")] + (sorted(folder.glob("*.zip")) if folder.exists() else [])
    for archive in zips:
        if archive.exists() and zipfile.is_zipfile(archive):
            _unzip_member(archive, raw_path)
            return raw_path
    try:
        found = _find_csv(download(dataset))
    except Exception as err:  # noqa: BLE001 - any failure of the download is reported the same way
        raise PipelineError(
            f"{raw_path} is missing and downloading {dataset} from Kaggle failed "
            f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else 'no details'})",
            f"put twcs.csv (or the Kaggle zip) at {raw_path} and run again, or get it with internet access: "
            f"`python -m twcs_classifier fetch-data` (or `kaggle datasets download {dataset}`)",
        ) from None
    if found is None:
        raise PipelineError(
            f"the download of {dataset} holds no {CSV_NAME}",
            f"download it by hand from Kaggle and put twcs.csv at {raw_path}",
        )
    if zipfile.is_zipfile(found):
        _unzip_member(found, raw_path)
    else:
        with atomic_path(raw_path) as tmp:
            shutil.copyfile(found, tmp)
    return raw_path
