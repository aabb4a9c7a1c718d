"""Errors the pipeline raises on bad input, and the one way they reach the user.

Every error names the problem *and* what to do about it. :func:`guarded` runs a stage's
or the CLI's main function and turns any failure into that message on stderr and exit
code 2, never a traceback (``TWCS_DEBUG=1`` prints the traceback too). A leaf module: it
imports nothing of the project (the stages' runner is :mod:`twcs_classifier.stage_runner`).
"""

from __future__ import annotations

import errno
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

EXIT_ERROR = 2
"""The exit code of every failure the user can act on."""

DEBUG_ENV = "TWCS_DEBUG"


class PipelineError(Exception):
    """A problem with the user's input or environment that the user can fix.

    Parameters
    ----------
    problem:
        What is wrong, naming the file, column or value concerned.
    fix:
        What the user should do about it.
    """

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}\nHow to fix: {fix}")


_OS_FIXES = {
    errno.ENOENT: "check the path: the file or a folder on the way to it does not exist",
    errno.EACCES: "check the permissions of the file and its folder (ls -l), or choose another path",
    errno.EPERM: "check the permissions of the file and its folder (ls -l), or choose another path",
    errno.EISDIR: "give the path of a file, not of a directory",
    errno.ENOTDIR: "a part of the path is a file, not a directory: check the path",
    errno.ENOSPC: "free some disk space and run again",
    errno.EROFS: "the file system is read-only: choose a path on a writable disk",
    errno.EEXIST: "remove or rename what is in the way, or choose another path",
}


def os_error(err: OSError, action: str = "use") -> PipelineError:
    """An :class:`OSError` (missing file, permissions, a directory, a full disk) as a
    :class:`PipelineError` naming the file."""
    name = err.filename if err.filename is not None else "a file"
    reason = err.strerror or str(err)
    fix = _OS_FIXES.get(err.errno or -1, "check the path, its permissions and the free disk space")
    return PipelineError(f"cannot {action} {name}: {reason}", fix)


STAGE_MEMORY_FIX = "close other programs, or lower the sizes in params.yaml"
"""What to do when a pipeline stage runs out of memory."""


def as_pipeline_error(err: BaseException, memory_fix: str = STAGE_MEMORY_FIX) -> PipelineError:
    """Any exception as a :class:`PipelineError`: itself, an OS error naming the file, running
    out of memory (with ``memory_fix``, the advice that fits the program that ran: the
    stages' by default), or an unexpected error (a bug) with how to see and report it."""
    if isinstance(err, PipelineError):
        return err
    if isinstance(err, OSError):
        return os_error(err)
    if isinstance(err, MemoryError):
        return PipelineError("ran out of memory", memory_fix)
    first = str(err).splitlines()[0] if str(err) else "no details"
    return PipelineError(
        f"unexpected {type(err).__name__}: {first}",
        f"this is a bug; run again with {DEBUG_ENV}=1 to see where it happened, and report it with that output",
    )


def guarded(main: Callable[[], Any], memory_fix: str = STAGE_MEMORY_FIX) -> int:
    """Run ``main``; print any failure as ``error: <problem>`` / ``How to fix: <fix>`` on
    stderr and return :data:`EXIT_ERROR`, else ``main``'s int result (or 0). ``memory_fix``
    is the advice when it runs out of memory (:func:`as_pipeline_error`)."""
    try:
        result = main()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as err:  # noqa: BLE001 - every failure ends in a message, not a traceback
        if os.environ.get(DEBUG_ENV):
            traceback.print_exc()
        print(f"error: {as_pipeline_error(err, memory_fix)}", file=sys.stderr)
        return EXIT_ERROR
    return result if isinstance(result, int) else 0
