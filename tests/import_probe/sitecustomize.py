"""Test-only probe (put this folder on PYTHONPATH): when ``TWCS_IMPORT_LOG`` names a folder,
every Python process that DVC runs as a stage writes, at exit, the project modules it
imported (lazy imports included) to ``<folder>/<DVC_STAGE>.txt``, one name a line.
``tests/test_pipeline_e2e.py`` compares them with the stage's code deps in dvc.yaml."""

import atexit
import os
import sys

_LOG = os.environ.get("TWCS_IMPORT_LOG")
_STAGE = os.environ.get("DVC_STAGE")
_PROJECT = ("twcs_classifier", "stages")


def _record() -> None:
    main = getattr(sys.modules.get("__main__"), "__spec__", None)  # the stage script, run as __main__
    loaded = [*sys.modules, *([main.name] if main else [])]
    names = sorted({name for name in loaded if name.split(".")[0] in _PROJECT})
    with open(os.path.join(_LOG, f"{_STAGE}.txt"), "w", encoding="utf-8") as out:
        out.write("\n".join(names) + "\n")


if _LOG and _STAGE:
    atexit.register(_record)
