"""How every stage script runs its ``main``: :func:`run_stage`.

Kept out of :mod:`twcs_classifier.errors` (a leaf every module imports) so that only the
stages depend on what it needs: the failure note (:mod:`~twcs_classifier.layout`) and the
native log filter (:mod:`~twcs_classifier.native_logs`), never TensorFlow's runtime.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from .dvc_pipeline import stage_failure_note
from .errors import guarded
from .native_logs import quiet_native_logs


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main`` through :func:`~twcs_classifier.errors.guarded` and exit with its
    code. Under DVC (which removes a stage's outputs, all but the persistent ones, before
    running it) a failure also says how to get the outputs of the last good run back:
    ``dvc checkout`` for those in DVC's cache, ``git checkout`` for those kept in git
    (:func:`~twcs_classifier.dvc_pipeline.stage_failure_note`). TensorFlow's native log noise is
    kept off stderr, as in the CLI."""
    with quiet_native_logs():
        code = guarded(main)
    stage = os.environ.get("DVC_STAGE")
    note = stage_failure_note(stage) if code and stage else None
    if note:
        print(f"note: {note}", file=sys.stderr)
    sys.exit(code)


__all__ = ["run_stage"]
