"""Wall time of each stage of the default pipeline on a full-size file.

    python benchmarks/make_big_twcs.py --rows 2800000 --unique-texts --out benchmarks/out/twcs_2.8M_unique.csv
    python benchmarks/bench_pipeline.py --data benchmarks/out/twcs_2.8M_unique.csv

Clones this repository (its last commit) into a temporary folder, points
``data.raw_path`` at ``--data`` and runs every stage with the default params
(``sample.n_train`` 100,000, ``sample.n_test`` 25,000), one ``dvc repro --single-item``
at a time, printing each stage's wall time and the total. ``--unique-texts`` in the
generator keeps the replicated copies from being dropped as duplicate texts, so the
sample stage can draw the full default sizes (the accuracy of models trained on marked
copies means nothing; only the time does). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
STAGES = (
    "fetch",
    "extract",
    "sample",
    "clean_tokenize",
    "train@logreg",
    "train@simple_rnn",
    "train@lstm",
    "train@gru",
    "compare",
    "select",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    times: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(REPO), str(root)], check=True)
        params = yaml.safe_load((root / "params.yaml").read_text())
        params["data"]["raw_path"] = str(args.data.resolve())
        (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
        print(
            f"# default pipeline on {args.data} ({args.data.stat().st_size / 1e6:,.0f} MB), "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        for stage in STAGES:
            started = time.perf_counter()
            proc = subprocess.run(
                ["dvc", "repro", "--single-item", stage], cwd=root, env=env, capture_output=True, text=True
            )
            times[stage] = time.perf_counter() - started
            if proc.returncode:
                sys.exit(f"{stage} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            print(f"{stage:<18}{times[stage]:>8.1f} s", flush=True)
        print(f"{'total':<18}{sum(times.values()):>8.1f} s")
        report = json.loads((root / "data/splits/sample_report.json").read_text())
        print("split sizes: " + ", ".join(f"{k} {v['n']}" for k, v in report["actual"].items()))
        compare = (root / "metrics/compare.md").read_text()
    if args.json:
        args.json.write_text(json.dumps({"stages": times, "splits": report["actual"], "compare": compare}, indent=2))


if __name__ == "__main__":
    main()
