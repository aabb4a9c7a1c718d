"""How long DVC takes to do nothing, and to redo one model.

    python benchmarks/bench_dvc.py [--data ../shared/data/twcs_real_sample.csv] [--runs 5]

Clones this repository (its last commit) into a temporary folder, points
``data.raw_path`` at ``--data``, builds everything once with ``dvc repro``, then times:
a no-op ``dvc repro`` (median of ``--runs``), and ``dvc repro`` after changing one
model's param (``models.gru.units``), listing the stages it ran. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from twcs_classifier.layout import PARAMS_FILE
from twcs_classifier.params import load_params

REPO = Path(__file__).resolve().parents[1]


def dvc(root: Path, *args: str) -> tuple[float, str]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    started = time.perf_counter()
    proc = subprocess.run(["dvc", *args], cwd=root, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, proc.stdout


def set_param(root: Path, path: list[str], value: object) -> None:
    params = yaml.safe_load((root / PARAMS_FILE).read_text())  # rewritten as the user would edit it
    node = params
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    (root / PARAMS_FILE).write_text(yaml.safe_dump(params, sort_keys=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/twcs_real_sample.csv")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(REPO), str(root)], check=True)
        set_param(root, ["data", "raw_path"], str(args.data.resolve()))
        first, _ = dvc(root, "repro")
        print(f"first full dvc repro on {args.data.name}: {first:.1f} s")
        noop = [dvc(root, "repro")[0] for _ in range(args.runs)]
        print(
            f"no-op dvc repro: median {statistics.median(noop):.2f} s over {args.runs} runs "
            f"(min {min(noop):.2f}, max {max(noop):.2f})"
        )
        units = load_params(root / PARAMS_FILE).model("gru")["units"]
        set_param(root, ["models", "gru", "units"], units * 2)
        seconds, out = dvc(root, "repro")
        ran = re.findall(r"Running stage '([^']+)'", out)
        print(f"dvc repro after models.gru.units {units} -> {units * 2}: {seconds:.1f} s, ran {', '.join(ran)}")


if __name__ == "__main__":
    main()
