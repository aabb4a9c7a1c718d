"""Errors the pipeline raises on bad input.

Every error names the problem *and* what to do about it, so that the stage scripts
and the CLI can print ``str(err)`` and exit non-zero without a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


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


def run_stage(main: Callable[[], None]) -> None:
    """Run a stage's ``main``; print a :class:`PipelineError` as a message and exit 2."""
    try:
        main()
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
