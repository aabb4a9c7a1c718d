"""Serving speed: one-tweet latency and batch throughput through the serving path the app
and the CLI use.

Usage (from the repository root, after ``dvc repro``)::

    python benchmarks/bench_serving_latency.py                 # models/selected
    python benchmarks/bench_serving_latency.py models/logreg models/gru --repeat 500

For each model directory it loads the model with :func:`twcs_classifier.inference.load_selected`,
warms it up, then times ``inference.predict(model, [tweet])`` on one tweet at a time, cycling
through a few realistic tweets, and prints p50, p90, p99 and max in milliseconds; then the
same with the word scores (``token_importance``), which is what the app's one-tweet page
computes. Then it measures throughput (tweets a second) on batches of ``--batch`` real test
tweets through the serving path. To compare with an earlier version (say the TensorFlow
serving path before ONNX), run this script from a checkout of that commit on the same
machine, right after. Targets (issue 15): GRU p50 at most 1 ms, batches of 1,000 at least as
fast as the TensorFlow path and 10,000 tweets a second. It prints figures; it checks nothing.
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

from twcs_classifier import inference
from twcs_classifier.app_tweet import EXAMPLE_TWEETS
from twcs_classifier.layout import Layout

TWEETS = [example.text for example in EXAMPLE_TWEETS] + [
    "@AcmeMobile and how exactly am I meant to do that",
    "@424242 I see. We would like to help you with that. Could you send us a private message?",
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


def bench(directory: Path, repeat: int, warmup: int, batch_size: int) -> None:
    started = time.perf_counter()
    model = inference.load_selected(directory)
    load_s = time.perf_counter() - started

    def one(tweet: str) -> object:
        return inference.predict(model, [tweet])

    def page(tweet: str) -> object:  # what the one-tweet page computes: the prediction and the word scores
        return inference.predict(model, [tweet]), model.token_importance(tweet)

    time_ms(page, warmup)
    print(f"{directory!s} ({model.kind}, loaded in {load_s:.1f} s), {repeat} runs each after {warmup} warm-up:")
    print(f"  inference.predict, one tweet:    {summary(time_ms(one, repeat))}")
    print(f"  + token_importance (the page): {summary(time_ms(page, repeat))}")
    batch, source = batch_texts(batch_size)
    print(f"  batches: {source}")
    inference.predict_proba(model, batch)
    rate = throughput(lambda: inference.predict_proba(model, batch), batch_size)
    print(f"  inference.predict_proba, batches of {batch_size}: {rate}")


def batch_texts(batch_size: int) -> tuple[list[str], str]:
    """``batch_size`` real tweets of the test split when the pipeline has run here (their
    lengths vary as real traffic does), else the example tweets numbered."""
    split = Layout.find().split_file("test")
    if split.exists():
        import pandas as pd

        texts = pd.read_parquet(split, columns=["text"])["text"].tolist()
        return [texts[i % len(texts)] for i in range(batch_size)], f"tweets of {split}, as they come"
    return [TWEETS[i % len(TWEETS)] + f" {i}" for i in range(batch_size)], "the example tweets, numbered"


def throughput(call: Callable[[], object], batch_size: int, seconds: float = 3.0) -> str:
    """Tweets a second over repeated calls of ``call`` for about ``seconds``."""
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds or calls < 3:
        call()
        calls += 1
    elapsed = time.perf_counter() - started
    return f"{calls * batch_size / elapsed:,.0f} tweets/s ({calls} batches)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path, help="model directories (default: models/selected)")
    parser.add_argument("--repeat", type=int, default=300, help="timed predictions per model (default: 300)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed predictions first (default: 20)")
    parser.add_argument("--batch", type=int, default=1000, help="tweets a batch for throughput (default: 1000)")
    args = parser.parse_args(argv)
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"TWCS_THREADS={os.environ.get('TWCS_THREADS', 'unset')}"
    )
    from twcs_classifier.errors import PipelineError

    for directory in args.models or [Layout.find().selected]:
        try:
            bench(directory, args.repeat, args.warmup, args.batch)
        except PipelineError as err:
            print(f"{directory}: {err}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
