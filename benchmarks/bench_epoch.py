"""Seconds per GRU training epoch (epochs 2+, validation included) on a project's processed
splits, for the code on PYTHONPATH, so two builds can be timed in turn on one machine:

    PYTHONPATH=<old checkout>/src python benchmarks/bench_epoch.py <old project> 5
    PYTHONPATH=src python benchmarks/bench_epoch.py . 5

It reads the splits as either version wrote them (the ids of clean_tokenize, or before them
the texts and ``token_ids``), trains ``models.gru`` for the given epochs without early stopping
and prints one JSON line: each epoch's seconds, their mean after the first, the whole fit. It
prints figures; it checks nothing.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def main() -> None:
    project, epochs = Path(sys.argv[1]), int(sys.argv[2])
    from twcs_classifier.models import LabelledTexts, build_model
    from twcs_classifier.params import load_params
    from twcs_classifier.runtime import keras
    from twcs_classifier.tokenizer import Tokenizer

    params = {**load_params(project / "params.yaml").model("gru"), "epochs": epochs, "patience": 100, "lr_patience": 0}
    tokenizer = Tokenizer.load(project / "data/processed/tokenizer.json")
    try:
        from twcs_classifier.layout import Layout
        from twcs_classifier.processed import read_processed

        frames, ids = read_processed(["train", "val"], Layout(project))
        data = {s: LabelledTexts.from_frame(frames[s], ids[s]) for s in frames}
        version = "ids (ONNX serving)"
    except ImportError:  # a build from before clean_tokenize wrote ids
        splits = {s: pd.read_parquet(project / f"data/processed/{s}.parquet") for s in ("train", "val")}
        data = {
            s: LabelledTexts(f["text"].tolist(), f["label"].to_numpy(), np.stack(f["token_ids"].to_numpy()))
            for s, f in splits.items()
        }
        version = "tf.strings in the graph"

    class EpochTimer(keras().callbacks.Callback):
        seconds: list[float] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds = [*self.seconds, time.perf_counter() - self.start]

    model, timer = build_model(params, seed=0, tokenizer=tokenizer), EpochTimer()
    model._extra_callbacks = [timer]
    started = time.perf_counter()
    model.fit(data["train"], data["val"])
    total = time.perf_counter() - started
    row = {"version": version, "epoch_s": timer.seconds, "mean_2plus": float(np.mean(timer.seconds[1:]))}
    print(json.dumps({**row, "fit_total_s": total}))


if __name__ == "__main__":
    main()
