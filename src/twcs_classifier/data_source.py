"""Get twcs.csv: use what is there, unzip a Kaggle archive, or download; and put the
pipeline's own copy at ``data/raw/twcs.csv`` (the fetch stage's DVC-tracked output)."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from .errors import PipelineError
from .extract import twcs_member
from .files import atomic_path, remove_stale_temps

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
        member = twcs_member(zf, archive)
        with zf.open(member) as src, atomic_path(target) as tmp, tmp.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise PipelineError(
            f"{path} is not a file (it is a directory or a device)",
            "point data.raw_path at the twcs.csv file (or the Kaggle zip), not at its folder",
        )


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
        _check_file(raw_path)
        return raw_path
    folder = raw_path.parent
    zips = [raw_path.with_suffix(".zip")] + (sorted(folder.glob("*.zip")) if folder.is_dir() else [])
    for archive in zips:
        if archive.is_file() and zipfile.is_zipfile(archive):
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


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def materialise_raw_data(
    raw_path: str | Path,
    target: str | Path,
    dataset: str = KAGGLE_DATASET,
    download: Callable[[str], Path] = kagglehub_download,
) -> Path:
    """Put the twcs.csv that ``data.raw_path`` names at ``target``, the pipeline's own copy.

    When ``raw_path`` is ``target`` itself it is made sure of (:func:`ensure_raw_data`:
    there, unzipped from a zip beside it, or downloaded). Any other path must exist (a
    misspelt path is an error, not a reason to download): a Kaggle zip is unpacked to
    ``target``, a CSV hard-linked there (so changing it in place is seen) or copied where a
    link is impossible. Every failure is a :class:`PipelineError`, raised before ``target``
    is touched.
    """
    raw_path, target = Path(raw_path), Path(target)
    if _same_file(raw_path, target):
        return ensure_raw_data(target, dataset, download)
    if not raw_path.exists():
        raise PipelineError(
            f"data.raw_path is {raw_path}, which does not exist",
            f"correct data.raw_path in params.yaml, or set it to {target} and run "
            "`python -m twcs_classifier fetch-data` to download twcs.csv there",
        )
    source = ensure_raw_data(raw_path, dataset, download)
    if zipfile.is_zipfile(source):
        _unzip_member(source, target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    link = target.with_name(f".{target.name}.{os.getpid()}.link.tmp")
    try:
        link.unlink(missing_ok=True)
        os.link(source, link)
        os.replace(link, target)
    except OSError:
        link.unlink(missing_ok=True)
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
    return target
