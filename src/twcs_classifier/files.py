"""Writing the project's files safely, for the stages, serving and the app: atomic writes of
files and directories (a failed write leaves nothing half-written; normal modes; temporary
files of killed writes removed), only over a regular file or a directory (devices, FIFOs,
sockets and symbolic links are refused, checked before any work), whether two paths name one
file (so an output never replaces its input), and the writers of JSON, text, Parquet and CSV
(the format is :mod:`twcs_classifier.csv_output`'s). Reading them back is
:mod:`twcs_classifier.reading`'s."""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .csv_output import to_csv_bytes
from .errors import PipelineError, os_error

if TYPE_CHECKING:
    import pandas as pd

_TEMP_SUFFIX = ".tmp"


def _temp_prefix(target: Path) -> str:
    return f".{target.name}.{os.getpid()}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files or folders that earlier writes of ``target`` left behind
    when they were killed (``.<name>.<pid>.<random>.tmp`` of a process that no longer runs,
    or of an unknown process). Returns what was removed. A directory ``target`` that a write
    killed between its two renames left missing (:func:`atomic_dir` where an atomic exchange
    is not available) is first put back from the ``previous`` it had moved aside."""
    target = Path(target)
    if not target.parent.is_dir():
        return []
    removed = []
    for tmp in target.parent.glob(f".{glob_escape(target.name)}.*{_TEMP_SUFFIX}"):
        parts = tmp.name[len(target.name) + 2 : -len(_TEMP_SUFFIX)].split(".")
        pid = int(parts[0]) if parts and parts[0].isdigit() else None
        if pid is not None and (pid == os.getpid() or _pid_alive(pid)):
            continue
        previous = tmp / _PREVIOUS
        if not os.path.lexists(target) and previous.is_dir() and not previous.is_symlink():
            os.replace(previous, target)
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


def glob_escape(name: str) -> str:
    """``name`` with the characters glob patterns read (``*?[``) escaped."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _default_mode(directory: bool) -> int:
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def _settle_mode(tmp: Path, target: Path, directory: bool) -> None:
    """Give ``tmp`` the mode ``target`` has, or the mode a new file gets (not mkstemp's 0600)."""
    mode = target.stat().st_mode & 0o7777 if target.exists() else _default_mode(directory)
    os.chmod(tmp, mode)


_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISREG, "a regular file"),
)


def file_kind(mode: int) -> str:
    """What an ``os.stat`` mode says a path is, in words (``a regular file``, ``a FIFO (named
    pipe)``, ``a character device`` ...)."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_output_path(target: str | os.PathLike[str], directory: bool = False) -> Path:
    """Refuse to write ``target`` unless it is new or what an output may replace: a regular
    file (``directory=False``) or a directory (``directory=True``). Every write of the project
    goes through this check (:func:`atomic_path`, :func:`atomic_dir`), because their rename would
    otherwise put a file in the place of whatever is there.

    Refused, with a :class:`PipelineError` naming what the path is and what to do: a device
    (``/dev/null``, ``/dev/full``: replacing it, as root, would break the system), a FIFO, a
    socket, a directory where a file is written (or a file where a directory is), and a
    **symbolic link**, whatever it points to. A link is never written through: the rename would
    replace the link and leave its target as it was, and writing into the target would change
    a file elsewhere (a DVC cache file, say) without the user asking. Returns ``target`` as a
    :class:`Path`. Called before any work is done where an output is named by the user (the
    CLI's ``--out``), and again by the atomic writers just before they write.
    """
    target = Path(target)
    try:
        mode = target.lstat().st_mode
    except FileNotFoundError:
        mode = None
        folder = next((p for p in target.absolute().parents if p.exists()), None)
        if folder is not None and not folder.is_dir():
            raise PipelineError(
                f"cannot write {target}: {folder} is a file, not a directory", "choose a path inside a directory"
            ) from None
    except NotADirectoryError:
        raise PipelineError(
            f"cannot write {target}: a part of its path is a file, not a directory", "choose a path inside a directory"
        ) from None
    except OSError as err:
        raise os_error(err, "write") from None
    if mode is not None:
        special = not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode))
        wanted = stat.S_ISDIR if directory else stat.S_ISREG
        what = "a directory" if directory else "a file"
        if stat.S_ISLNK(mode):
            raise PipelineError(
                f"cannot write {target}: it is a symbolic link (to {os.readlink(target)}), and outputs are never "
                "written through links",
                "give the path of the file itself, or remove the link (rm " + str(target) + ") and run again",
            )
        if not wanted(mode):
            raise PipelineError(
                f"cannot write {target}: it is {file_kind(mode)}, not {what}",
                f"give the path of {what} to write (a new path, or {what} that may be replaced)"
                + ("; devices, FIFOs and sockets are never written to" if special else ""),
            )
    return target


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise PipelineError(
            f"cannot write {target}: {target.parent} is a file, not a directory", "choose a path inside a directory"
        ) from None
    except OSError as err:
        raise os_error(err, "write") from None


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it into place only on success.

    A write that fails half-way leaves no half-written output behind, and the file gets
    the mode ``target`` had (or a new file's usual mode). Temporary files of earlier
    writes that were killed are removed first. ``target`` must be a new path or a regular
    file: a device, FIFO, socket, directory or symbolic link is refused
    (:func:`check_output_path`), never replaced.
    """
    target = check_output_path(target)
    _make_parent(target)
    remove_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(target), suffix=_TEMP_SUFFIX, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _settle_mode(tmp_path, target, directory=False)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


_PREVIOUS = "previous"


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2`` with ``RENAME_EXCHANGE``); ``False``
    where the system or the file system cannot, and nothing was changed."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if os.name == "posix" else None
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


@contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; on success it replaces ``target`` in one
    atomic exchange of the two (``target`` is there, old or new, at every moment, also for a
    reader or a run killed half-way); where the system has no exchange, in two renames, and a
    run killed between them has ``target`` put back by the next (:func:`remove_stale_temps`).
    ``target`` must be a new path or a directory (:func:`check_output_path`)."""
    target = check_output_path(target, directory=True)
    _make_parent(target)
    remove_stale_temps(target)
    tmp = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=_TEMP_SUFFIX, dir=target.parent))
    old = None
    try:
        yield tmp
        _settle_mode(tmp, target, directory=True)
        if not target.exists():
            os.replace(tmp, target)
        elif not _exchange(tmp, target):  # after an exchange, tmp holds the old one: removed below
            old = Path(tempfile.mkdtemp(prefix=_temp_prefix(target), suffix=_TEMP_SUFFIX, dir=target.parent))
            os.replace(target, old / _PREVIOUS)
            os.replace(tmp, target)
    finally:
        for leftover in (tmp, old):
            if leftover is not None and leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def write_json(path: str | os.PathLike[str], obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_with(path: str | os.PathLike[str], writer: Callable[[Path], None]) -> None:
    """Call ``writer(tmp_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path) as tmp:
        writer(tmp)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name one file: the same path once resolved, or two names of one
    existing file (a hard link, a bind mount, a case-insensitive disk)."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # either is missing or unreadable: not one file
        return False


def write_parquet(path: str | os.PathLike[str], frame: pd.DataFrame) -> None:
    """Write ``frame`` as Parquet (no index), atomically."""
    write_with(path, lambda tmp: frame.to_parquet(tmp, index=False))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame, spreadsheet: bool = False) -> None:
    """Write ``frame`` atomically as :func:`to_csv_bytes`."""
    write_with(path, lambda tmp: tmp.write_bytes(to_csv_bytes(frame, spreadsheet)))
