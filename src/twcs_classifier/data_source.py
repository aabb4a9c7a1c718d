"""Get twcs.csv: use what is there, unzip a Kaggle archive, or download (``fetch-data``, into
the user's ``data.raw_path``); and make the pipeline's own, separate copy of it
(:func:`fetch_raw_data`, the fetch stage's DVC-tracked output), checked before it is taken in."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import PipelineError
from .extract import check_twcs, twcs_member
from .files import atomic_path, same_file, write_json
from .layout import USER_RAW_DATA, Layout
from .reading import read_json_or_none, sha256_file

KAGGLE_DATASET = "thoughtvector/customer-support-on-twitter"
CSV_NAME = "twcs.csv"
_BLOCK = 1 << 20


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


def _copy_hashing(source: IO[bytes], target: Path) -> tuple[str, int]:
    """Copy a stream to ``target``; the sha256 and the size of what was copied."""
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        for block in iter(lambda: source.read(_BLOCK), b""):
            digest.update(block)
            out.write(block)
            size += len(block)
    return digest.hexdigest(), size


@dataclass(frozen=True)
class Fetched:
    """What the fetch stage did: ``report`` (the fetch report: ``source``, the path
    ``data.raw_path`` gave; ``source_sha256`` and ``source_bytes`` of that file; ``member``,
    the zip member unpacked or ``None``; ``sha256`` and ``bytes`` of the pipeline's copy),
    ``action`` (``copied``, ``unchanged`` or ``kept``) and a ``note`` for the user."""

    report: dict[str, Any]
    action: str
    note: str = ""


def fetch_raw_data(
    raw_path: str | Path,
    layout: Layout,
    dataset: str = KAGGLE_DATASET,
    download: Callable[[str], Path] = kagglehub_download,
) -> Fetched:
    """Make the pipeline's copy of twcs.csv (``layout.raw_data``) the file ``data.raw_path``
    names, checked; record what it was taken from in ``layout.fetch_report``.

    The user's file and the pipeline's copy are never the same file: the copy is only ever
    written here, and only with the bytes of ``raw_path`` (a CSV, or the twcs.csv inside a
    Kaggle zip) after they pass the checks extract makes (:func:`~twcs_classifier.extract.check_twcs`:
    not empty, the header, at least one row). So switching ``data.raw_path`` to another file
    and back gives back the first file's content, and a broken file never replaces a good copy.

    - ``raw_path`` exists: its sha256 is compared with the report's; the same file with an
      intact copy is left as it is (``unchanged``), anything else is copied (``copied``).
    - ``raw_path`` is missing, and the copy was taken from that same path and is intact (a
      fresh clone after ``dvc pull``, ``dvc exp run --temp``, where git-ignored files are not
      there): the copy is kept (``kept``), and the note says so.
    - ``raw_path`` is missing otherwise: at :data:`~twcs_classifier.layout.USER_RAW_DATA` it is
      unzipped from a zip beside it or downloaded (:func:`ensure_raw_data`); any other path is
      an error (a misspelt path is not a reason to download).

    Every failure is a :class:`PipelineError`, raised before the copy is touched.
    """
    raw_path, target = Path(raw_path), layout.raw_data
    for own in (target, layout.fetch_report):
        if same_file(raw_path, own):
            raise PipelineError(
                f"data.raw_path is {raw_path}, the pipeline's own copy, which the fetch stage writes",
                f"set data.raw_path to your twcs.csv (e.g. {USER_RAW_DATA}, where `python -m twcs_classifier "
                "fetch-data` puts it), never to a file under the pipeline's outputs",
            )
    previous = read_json_or_none(layout.fetch_report)
    if not isinstance(previous, dict) or previous.get("source") != str(raw_path):
        previous = None
    if not raw_path.exists():
        copy_sha = sha256_file(target) if previous and target.is_file() else None
        if previous and copy_sha == previous.get("sha256"):
            return Fetched(
                previous,
                "kept",
                f"{raw_path} is not here; the pipeline's copy of it ({target}, sha256 {copy_sha[:12]}…, checked) "
                "is kept. Put the file back to fetch it again.",
            )
        if not same_file(raw_path, layout.user_raw_data):
            raise PipelineError(
                f"data.raw_path is {raw_path}, which does not exist",
                f"correct data.raw_path in params.yaml, or set it to {USER_RAW_DATA} and run "
                "`python -m twcs_classifier fetch-data` to download twcs.csv there",
            )
        ensure_raw_data(raw_path, dataset, download)
    _check_file(raw_path)
    source_sha = sha256_file(raw_path)
    if (
        previous
        and previous.get("source_sha256") == source_sha
        and target.is_file()
        and sha256_file(target) == previous.get("sha256")
    ):
        return Fetched(previous, "unchanged")
    with ExitStack() as stack:
        member = None
        if zipfile.is_zipfile(raw_path):
            archive = stack.enter_context(zipfile.ZipFile(raw_path))
            member = twcs_member(archive, raw_path)
            stream = stack.enter_context(archive.open(member))
        else:
            stream = stack.enter_context(raw_path.open("rb"))
        tmp = stack.enter_context(atomic_path(target))
        sha, size = _copy_hashing(stream, tmp)
        check_twcs(tmp, name=f"{raw_path}!{member}" if member else str(raw_path))
    report = {
        "source": str(raw_path),
        "source_sha256": source_sha,
        "source_bytes": raw_path.stat().st_size,
        "member": member,
        "sha256": sha,
        "bytes": size,
    }
    write_json(layout.fetch_report, report)
    return Fetched(report, "copied")
