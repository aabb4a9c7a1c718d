"""A cold command-line call: ``python -m twcs_classifier predict --model NAME "<tweet>"`` in a
fresh process, as a user runs it from a shell.

Usage (from the repository root, after ``dvc repro``)::

    python benchmarks/bench_cli_cold.py                      # gru and logreg, 5 runs each
    python benchmarks/bench_cli_cold.py --models gru --repeat 10

For each model it runs the command ``--repeat`` times, each in a new process, and prints the
median and the best wall time, the median CPU time (user + system: steadier than wall time on
a shared machine), the largest peak memory (the child's ``ru_maxrss``) and how
many lines the call wrote to stderr (TensorFlow's log noise: 0 expected). For scale it also
times what serving with TensorFlow could not go under, ``python -c "import tensorflow, keras"``,
and a bare ``python -c pass``. Targets (issue 15): with the GRU, best of 5 at most 1.0 s and
at most 0.25 × the TensorFlow floor, peak memory at most 300 MB. It prints figures; it checks
nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

TWEET = "@AmazonHelp my parcel never arrived, where is it?"


def run_cold(command: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak memory (MB, the child's ``ru_maxrss``)
    and stderr lines of one fresh process."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        err.seek(0)
        text = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(command)} failed:\n{text}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, len(text.splitlines())


def measure(label: str, command: list[str], repeat: int) -> None:
    runs = [run_cold(command) for _ in range(repeat)]
    wall = sorted(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    print(
        f"| {label} | {statistics.median(wall):.2f} s | {wall[0]:.2f} s | {cpu:.2f} s | "
        f"{max(r[2] for r in runs):,.0f} MB | {max(r[3] for r in runs)} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=["gru", "logreg"])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, ")
    print(f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f} at the start\n")
    print("| command | median wall | best wall | median CPU (user + sys) | peak memory | stderr lines |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        cli = [sys.executable, "-m", "twcs_classifier", "predict", "--model", name, TWEET]
        measure(f"`predict --model {name}` one tweet", cli, args.repeat)
    floor = [sys.executable, "-c", "import tensorflow, keras"]
    measure("`python -c 'import tensorflow, keras'` (the floor)", floor, args.repeat)
    measure("`python -c pass`", [sys.executable, "-c", "pass"], args.repeat)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
