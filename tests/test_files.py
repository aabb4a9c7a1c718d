"""Outputs are written only over a regular file (or a directory, for a model) or to a new path:
devices, FIFOs, sockets and symbolic links are refused with a message, never replaced.

No test here writes towards a real device: the devices are only looked at (os.lstat), and the
writers are tried on a FIFO, a socket and links made in a temporary folder.
"""

from __future__ import annotations

import os
import re
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from twcs_classifier.errors import PipelineError
from twcs_classifier.files import atomic_dir, check_output_path, write_json, write_text


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def unix_socket(path: Path) -> Path:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
    return path


def link(path: Path) -> Path:
    target = path.with_name("target.json")
    target.write_text("kept")
    path.symlink_to(target.name)
    return path


def dangling(path: Path) -> Path:
    path.symlink_to("nowhere/target.json")
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (fifo, "it is a FIFO (named pipe), not a file"),
        (unix_socket, "it is a socket, not a file"),
        (link, "it is a symbolic link (to target.json)"),
        (dangling, "it is a symbolic link (to nowhere/target.json)"),
        (lambda p: p.mkdir() or p, "it is a directory, not a file"),
    ],
    ids=["fifo", "socket", "symlink", "dangling-symlink", "directory"],
)
@pytest.mark.parametrize("writer", [write_text, write_json], ids=["text", "json"])
def test_a_file_is_never_written_over_what_is_not_a_regular_file(
    tmp_path: Path, make: Callable[[Path], Path], says: str, writer
) -> None:
    target = make(tmp_path / "out.json")
    before = os.lstat(target)
    with pytest.raises(PipelineError, match=f"cannot write .*out.json: {re.escape(says)}") as err:
        writer(target, "x")
    assert "How to fix" in str(err.value)
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)  # the same thing, untouched
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    if make is link:
        assert (tmp_path / "target.json").read_text() == "kept"  # never written through either


@pytest.mark.parametrize("device", ["/dev/null", "/dev/full", "/dev/zero"])
def test_a_device_is_refused(device: str) -> None:
    if not stat.S_ISCHR(os.lstat(device).st_mode):
        pytest.skip(f"{device} is not a character device here")
    with pytest.raises(PipelineError, match=f"cannot write {device}: it is a character device, not a file"):
        check_output_path(device)  # looks, never writes
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_a_model_directory_is_never_written_over_a_file_or_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to("real", target_is_directory=True)
    (tmp_path / "file").write_text("x")
    for name, says in (("linked", "symbolic link"), ("file", "it is a regular file, not a directory")):
        with pytest.raises(PipelineError, match=says), atomic_dir(tmp_path / name) as tmp:
            (tmp / "model.json").write_text("{}")
    assert (tmp_path / "linked").is_symlink() and (tmp_path / "file").read_text() == "x"
    with atomic_dir(tmp_path / "real") as tmp:  # a directory, or a new path, is replaced as before
        (tmp / "model.json").write_text("{}")
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["model.json"]


def test_new_paths_and_regular_files_are_written(tmp_path: Path) -> None:
    write_text(tmp_path / "new" / "deeper" / "a.txt", "one")
    write_text(tmp_path / "new" / "deeper" / "a.txt", "two")
    assert (tmp_path / "new" / "deeper" / "a.txt").read_text() == "two"
    (tmp_path / "file").write_text("x")
    with pytest.raises(PipelineError, match="is a file, not a directory"):
        check_output_path(tmp_path / "file" / "below" / "out.csv")


def test_a_directory_is_replaced_in_one_exchange_and_a_half_done_swap_is_undone(tmp_path: Path, monkeypatch) -> None:
    from twcs_classifier import files

    target = tmp_path / "selected"
    target.mkdir()
    (target / "model.json").write_text("old")
    with atomic_dir(target) as tmp:
        (tmp / "model.json").write_text("new")
    assert (target / "model.json").read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["selected"]
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir(), (a / "x").write_text("a"), (b / "x").write_text("b")
    assert files._exchange(a, b)  # Linux: renameat2(RENAME_EXCHANGE); the target is never missing
    assert ((a / "x").read_text(), (b / "x").read_text()) == ("b", "a")

    # Where there is no exchange, two renames: a run killed between them left the old folder aside
    # and no target; the next write (or any clean-up of its temporary files) puts it back first.
    monkeypatch.setattr(files, "_exchange", lambda a, b: False)
    stale = tmp_path / ".selected.999999999.abc.tmp"
    target.rename(tmp_path / "moved")
    stale.mkdir()
    (tmp_path / "moved").rename(stale / "previous")
    assert files.remove_stale_temps(target) == [stale]
    assert (target / "model.json").read_text() == "new" and not stale.exists()
    with atomic_dir(target) as tmp:
        (tmp / "model.json").write_text("newer")
    assert (target / "model.json").read_text() == "newer" and sorted(p.name for p in tmp_path.iterdir()) == [
        "a",
        "b",
        "selected",
    ]


def test_same_file_is_one_path_or_one_inode(tmp_path: Path) -> None:
    from twcs_classifier.files import same_file

    a = tmp_path / "a.csv"
    a.write_text("x")
    (tmp_path / "hard.csv").hardlink_to(a)
    assert same_file(a, tmp_path / "sub" / ".." / "a.csv")
    assert same_file(a, tmp_path / "hard.csv")
    assert not same_file(a, tmp_path / "missing.csv") and not same_file(tmp_path / "x", tmp_path / "y")
