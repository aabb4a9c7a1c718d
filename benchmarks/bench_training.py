"""Training throughput of the recurrent models, with and without length bucketing.

    python benchmarks/bench_training.py [--project DIR] [--tweets 30000] [--epochs 4]

Reads ``data/processed`` of a project where the pipeline has run (default: this
repository), repeats the training split up to ``--tweets`` tweets, trains each recurrent
model for ``--epochs`` epochs with ``bucket_by_length`` off and on (params otherwise
from params.yaml), and prints tweets per second over the epochs after the first (which
includes tracing). It prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from twcs_classifier.layout import PARAMS_FILE, Layout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=Layout.find(Path(__file__).resolve().parents[1]).root)
    parser.add_argument("--tweets", type=int, default=30_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--models", nargs="*", help="default: every model with a bucket_by_length param")
    args = parser.parse_args()

    from twcs_classifier.models import LabelledTexts, build_model
    from twcs_classifier.params import load_params
    from twcs_classifier.processed import read_processed
    from twcs_classifier.runtime import keras
    from twcs_classifier.tokenizer import Tokenizer

    layout = Layout(args.project)
    frames, ids = read_processed(["train"], layout)
    index = np.arange(args.tweets) % len(frames["train"])
    frame = frames["train"].iloc[index]
    data = LabelledTexts.from_frame(frame, ids["train"].subset(index))
    tokenizer = Tokenizer.load(layout.tokenizer)
    params = load_params(args.project / PARAMS_FILE)
    names = args.models or [name for name in params.models if "bucket_by_length" in params.model(name)]
    lengths = np.array([len(r) for r in data.encoded.rows])

    class EpochTimer(keras().callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = [*getattr(self, "seconds", []), time.perf_counter() - self.start]

        @property
        def last(self) -> float:
            """Mean epoch time after the first (which includes tracing)."""
            later = self.seconds[1:] or self.seconds
            return sum(later) / len(later)

    print(f"# training throughput, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"# machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    print(
        f"# {len(frame)} tweets (the training split repeated), {args.epochs} epochs, epochs 2+ timed; "
        f"tokens per tweet: mean {lengths.mean():.1f}, max {lengths.max()} of {tokenizer.sequence_length}"
    )
    print(f"{'model':<12}{'bucketing':>10}{'tweets/s':>12}{'epoch s':>10}")
    for name in names:
        for bucket in (False, True):
            p = {**params.model(name), "epochs": args.epochs, "epoch_size": len(frame), "bucket_by_length": bucket}
            model = build_model(p, seed=0, tokenizer=tokenizer)
            timer = EpochTimer()
            model._extra_callbacks = [timer]
            model.fit(data, None)
            print(
                f"{name:<12}{'on' if bucket else 'off':>10}{len(frame) / timer.last:>12,.0f}{timer.last:>10.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
