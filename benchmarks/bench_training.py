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
import pandas as pd
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--tweets", type=int, default=30_000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--models", nargs="*", help="default: every model with a bucket_by_length param")
    args = parser.parse_args()

    from twcs_classifier.models import LabelledTexts, build_model
    from twcs_classifier.runtime import keras
    from twcs_classifier.tokenizer import Tokenizer

    processed = args.project / "data/processed"
    frame = pd.read_parquet(processed / "train.parquet", columns=["text", "label", "token_ids"])
    reps = int(np.ceil(args.tweets / len(frame)))
    frame = pd.concat([frame] * reps, ignore_index=True).iloc[: args.tweets]
    ids = np.stack(frame["token_ids"].to_numpy())
    data = LabelledTexts(frame["text"].tolist(), frame["label"].to_numpy(), ids)
    tokenizer = Tokenizer.load(processed / "tokenizer.json")
    params = yaml.safe_load((args.project / "params.yaml").read_text())["models"]
    names = args.models or [name for name, p in params.items() if "bucket_by_length" in p]
    lengths = np.count_nonzero(ids, axis=1)

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
        f"tokens per tweet: mean {lengths.mean():.1f}, max {lengths.max()} of {ids.shape[1]}"
    )
    print(f"{'model':<12}{'bucketing':>10}{'tweets/s':>12}{'epoch s':>10}")
    for name in names:
        for bucket in (False, True):
            p = {**params[name], "epochs": args.epochs, "epoch_size": len(frame), "bucket_by_length": bucket}
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
