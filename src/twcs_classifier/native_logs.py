"""Keep TensorFlow's native (C++) log lines off stderr while the CLI or a stage runs.

A leaf module (the standard library only): the CLI and every stage use it, and only the
stages that train or load a Keras model import TensorFlow (:mod:`twcs_classifier.runtime`).
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_NATIVE_LINE = re.compile(rb"^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [^\]]+\] ")
"""A native (absl / TensorFlow C++) log line: severity, date, time (seconds since the epoch
before absl is set up), thread, file:line]."""
_SEVERITY = {b"I": 0, b"W": 1, b"E": 2, b"F": 3}
_ABSL_PREAMBLE = b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
_HARMLESS = (b"oneDNN supports DT_BOOL only on platforms with AVX-512. Falling back",)
"""Native lines logged as errors that say nothing is wrong (TensorFlow falls back to another
kernel); shown only with ``TF_CPP_MIN_LOG_LEVEL`` below 2, like warnings."""


def native_log_noise(line: bytes, min_level: int) -> bool:
    """Whether a line written to stderr by native code is log noise at ``min_level`` (as
    ``TF_CPP_MIN_LOG_LEVEL``: 1 drops info, 2 also warnings, 3 also errors)."""
    if line.startswith(_ABSL_PREAMBLE):
        return min_level >= 1
    match = _NATIVE_LINE.match(line)
    if not match:
        return False
    if any(text in line for text in _HARMLESS):
        return min_level >= 2
    return _SEVERITY[match.group(1)] < min_level


@contextmanager
def quiet_native_logs() -> Iterator[None]:
    """Drop TensorFlow's native log noise from stderr while the block runs.

    TensorFlow's C++ code logs through absl, which writes to file descriptor 2 before
    ``TF_CPP_MIN_LOG_LEVEL`` is read (the oneDNN notices of every import). So fd 2 goes
    through a pipe whose lines :func:`native_log_noise` filters; Python's ``sys.stderr``
    (messages, tracebacks, progress bars) writes to the real stderr directly.
    """
    min_level = int(os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2") or 0)
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no usable stderr: nothing to filter
        yield
        return
    read_end, write_end = os.pipe()
    python_stderr = sys.stderr
    if _writes_to_fd2(python_stderr):  # else it is redirected already (a test's capture): leave it
        sys.stderr = open(  # noqa: SIM115  (closed below)
            os.dup(saved), "w", buffering=1, encoding=python_stderr.encoding, errors="backslashreplace"
        )

    def pump() -> None:
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                if not native_log_noise(line, min_level):
                    os.write(saved, line)

    thread = threading.Thread(target=pump, name="native-stderr-filter", daemon=True)
    thread.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the pump drains it and stops
        thread.join(timeout=5)
        if sys.stderr is not python_stderr:
            sys.stderr.close()
            sys.stderr = python_stderr
        os.close(saved)


def _writes_to_fd2(stream: Any) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
