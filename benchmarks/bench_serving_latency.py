"""One-tweet latency through the serving path the app and the CLI use.

Usage (from the repository root, after ``dvc repro``)::

    python benchmarks/bench_serving_latency.py                 # models/selected
    python benchmarks/bench_serving_latency.py models/logreg models/gru --repeat 500

For each model directory it loads the model with :func:`twcs_classifier.serving.load_selected`,
warms it up, then times ``serving.predict(model, [tweet])`` on one tweet at a time, cycling
through a few realistic tweets, and prints p50, p90, p99 and max in milliseconds; then the
same with the word scores (``token_importance``), which is what the app's one-tweet page
computes. The target (issue 3) is under 50 ms per prediction. It prints figures; it checks
nothing.
Set TWCS_THREADS to pin TensorFlow's thread pools.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from twcs_classifier import serving
from twcs_classifier.app_support import EXAMPLE_TWEETS

TWEETS = [example.text for example in EXAMPLE_TWEETS] + [
    "@sprintcare and how do you propose we do that",
    "@115712 I understand. I would like to assist you. We would need to get you into a private secured link.",
]


def percentile(sorted_ms: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of already sorted values, by nearest rank."""
    return sorted_ms[min(len(sorted_ms) - 1, max(0, math.ceil(q / 100 * len(sorted_ms)) - 1))]


def time_ms(call: Callable[[str], object], repeat: int) -> list[float]:
    """Sorted wall times of ``call(tweet)``, cycling through :data:`TWEETS`."""
    timings = []
    for i in range(repeat):
        tweet = TWEETS[i % len(TWEETS)]
        t0 = time.perf_counter()
        call(tweet)
        timings.append((time.perf_counter() - t0) * 1000.0)
    return sorted(timings)


def summary(timings: list[float]) -> str:
    return (
        f"p50 {percentile(timings, 50):6.2f} ms  p90 {percentile(timings, 90):6.2f} ms  "
        f"p99 {percentile(timings, 99):6.2f} ms  max {timings[-1]:6.2f} ms  mean {statistics.fmean(timings):6.2f} ms"
    )


def bench(directory: Path, repeat: int, warmup: int) -> None:
    started = time.perf_counter()
    model = serving.load_selected(directory)
    load_s = time.perf_counter() - started

    def one(tweet: str) -> object:
        return serving.predict(model, [tweet])

    def page(tweet: str) -> object:  # what the one-tweet page computes: the prediction and the word scores
        return serving.predict(model, [tweet]), model.token_importance(tweet)

    time_ms(page, warmup)
    print(f"{directory!s} ({model.kind}, loaded in {load_s:.1f} s), {repeat} runs each after {warmup} warm-up:")
    print(f"  serving.predict, one tweet:    {summary(time_ms(one, repeat))}")
    print(f"  + token_importance (the page): {summary(time_ms(page, repeat))}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path, help="model directories (default: models/selected)")
    parser.add_argument("--repeat", type=int, default=300, help="timed predictions per model (default: 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed predictions first (default: 20)")
    args = parser.parse_args(argv)
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"TWCS_THREADS={os.environ.get('TWCS_THREADS', 'unset')}"
    )
    from twcs_classifier.errors import PipelineError

    for directory in args.models or [serving.SELECTED_DIR]:
        try:
            bench(directory, args.repeat, args.warmup)
        except PipelineError as err:
            print(f"{directory}: {err}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
