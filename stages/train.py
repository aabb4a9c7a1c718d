"""train@<model>: fit one model on the processed splits, score it, save it.

Usage: python -m stages.train <model>   (a name under ``models`` in params.yaml)
Params: base.seed, models.<model>.
Writes models/<model>/, metrics/<model>.json and plots/<model>/.
"""

import sys
import time

import numpy as np
import pandas as pd

from twcs_classifier.errors import PipelineError, run_stage
from twcs_classifier.io import load_params, section, write_json
from twcs_classifier.metrics import classification_metrics, confusion_rows, pr_points, roc_points
from twcs_classifier.models import LabelledTexts, build_model
from twcs_classifier.tokenize import Tokenizer

IN_DIR = "data/processed"


def load_split(name: str) -> LabelledTexts:
    frame = pd.read_parquet(f"{IN_DIR}/{name}.parquet", columns=["text", "label", "token_ids"])
    return LabelledTexts(frame["text"].tolist(), frame["label"].to_numpy(), np.stack(frame["token_ids"].to_numpy()))


def main() -> None:
    if len(sys.argv) != 2:
        raise PipelineError("train needs one model name", "run: python -m stages.train gru")
    name = sys.argv[1]
    params = load_params()
    seed = int(section(params, "base")["seed"])
    model_params = section(params, f"models.{name}")
    splits = {s: load_split(s) for s in ("train", "val", "test")}
    model = build_model(
        model_params, seed=seed, tokenizer=Tokenizer.load(f"{IN_DIR}/tokenizer.json"), log_dir=f"plots/{name}/training"
    )
    started = time.perf_counter()
    model.fit(splits["train"], splits["val"])
    train_seconds = time.perf_counter() - started

    scores, timing = {}, {"train_seconds": round(train_seconds, 2)}
    for key, split in (("validation", "val"), ("test", "test")):
        started = time.perf_counter()
        p = model.predict_proba(splits[split].texts)[:, 1]
        timing[f"predict_{key}_seconds"] = round(time.perf_counter() - started, 2)
        scores[key] = classification_metrics(splits[split].labels, p)
        if key == "test":
            y = splits[split].labels
            write_json(f"plots/{name}/roc.json", roc_points(y, p))
            write_json(f"plots/{name}/precision_recall.json", pr_points(y, p))
            write_json(f"plots/{name}/confusion.json", confusion_rows(y, p))
    model.save(f"models/{name}")
    write_json(
        f"metrics/{name}.json",
        {
            "model": name,
            **scores,
            "timing": timing,
            "n_train": len(splits["train"].texts),
            "params": {**model_params, "seed": seed},
        },
    )
    print(
        f"train@{name}: test accuracy {scores['test']['accuracy']:.4f}, F1 {scores['test']['f1_macro']:.4f}, "
        f"{train_seconds:.1f}s to train"
    )


if __name__ == "__main__":
    run_stage(main)
