"""The app's cold start: its first run and its first prediction, in a fresh process, through
Streamlit's AppTest (the script run a browser's first visit triggers, without the browser).

Usage (from the repository root, after ``dvc repro``)::

    python benchmarks/bench_app_cold.py            # 5 fresh processes
    python benchmarks/bench_app_cold.py --repeat 3

Each run starts a new Python process that imports Streamlit's AppTest, runs ``app.py`` (the
default page, One tweet, with ``models/selected`` loaded) and times it, then types a tweet,
presses Predict and times that rerun. It prints, per run and as medians: the first run's
seconds, the seconds until the first prediction is shown (both runs), the CPU seconds spent
by then (steadier than wall time on a shared machine), the process's peak
memory (``ru_maxrss``) and whether TensorFlow or Keras were imported. Targets (issue 15): first
run at most 4 s, first prediction at most 5 s, at most 500 MB, no TensorFlow. It prints
figures; it checks nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWEET = "@AmazonHelp my parcel never arrived, where is it?"

CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
first = time.perf_counter() - started
assert not at.exception, at.exception
at.text_area(key="tweet").input(sys.argv[2])
at.button(key="predict").click().run()
shown = time.perf_counter() - started
assert not at.exception and at.markdown, at.exception
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras"})
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime
peak = usage.ru_maxrss / 1024
print(json.dumps({"first_run": first, "first_prediction": shown, "cpu_s": cpu, "peak_mb": peak, "imported": heavy}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}\n")
    print("| run | first run | first prediction shown | CPU until then | peak memory | TensorFlow/Keras imported |")
    print("|---|---|---|---|---|---|")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    rows = []
    for i in range(args.repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT / "app.py"), TWEET],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"| {i + 1} | {row['first_run']:.2f} s | {row['first_prediction']:.2f} s | {row['cpu_s']:.2f} s | "
            f"{row['peak_mb']:,.0f} MB | "
            f"{', '.join(row['imported']) or 'no'} |"
        )
    print(
        f"| median | {statistics.median(r['first_run'] for r in rows):.2f} s | "
        f"{statistics.median(r['first_prediction'] for r in rows):.2f} s | "
        f"{statistics.median(r['cpu_s'] for r in rows):.2f} s | "
        f"{statistics.median(r['peak_mb'] for r in rows):,.0f} MB | |"
    )


if __name__ == "__main__":
    main()
