"""train@<model>: fit one model on the processed splits, score it under every test
condition, save it.

Usage: python -m stages.train <model>   (a name under ``models`` in params.yaml)
Params: base.seed, models.<model>.
Writes models/<model>/, metrics/<model>.json, plots/<model>/ and reports/errors_<model>.csv.
"""

import sys
import time

import numpy as np
import pandas as pd

from twcs_classifier.errors import PipelineError, run_stage
from twcs_classifier.evaluation import eval_sets, most_confident_mistakes, reliability, score
from twcs_classifier.files import load_params, section, write_json, write_with
from twcs_classifier.layout import CONFUSION, PRECISION_RECALL, ROC, Layout, reliability_plot
from twcs_classifier.metrics import confusion_rows, pr_points, roc_points
from twcs_classifier.models import LabelledTexts, build_model
from twcs_classifier.tokenizer import Tokenizer

LAYOUT = Layout()


def labelled(frame: pd.DataFrame) -> LabelledTexts:
    return LabelledTexts(frame["text"].tolist(), frame["label"].to_numpy(), np.stack(frame["token_ids"].to_numpy()))


def main() -> None:
    if len(sys.argv) != 2:
        raise PipelineError("train needs one model name", "run: python -m stages.train gru")
    name = sys.argv[1]
    params = load_params()
    seed = int(section(params, "base")["seed"])
    model_params = section(params, f"models.{name}")
    frames = {s: pd.read_parquet(LAYOUT.processed_file(s)) for s in ("train", "val", "test", "unseen_brands")}
    model = build_model(
        model_params, seed=seed, tokenizer=Tokenizer.load(LAYOUT.tokenizer), log_dir=str(LAYOUT.training_log(name))
    )
    started = time.perf_counter()
    model.fit(labelled(frames["train"]), labelled(frames["val"]))
    timing = {"train_seconds": round(time.perf_counter() - started, 2)}

    scores, mistakes = {}, []
    for data in eval_sets(frames["val"], frames["test"], frames["unseen_brands"]):
        started = time.perf_counter()
        scores[data.name], p = score(model, data)
        timing[f"predict_{data.name}_seconds"] = round(time.perf_counter() - started, 2)
        if data.name == "validation":
            continue
        write_json(LAYOUT.plot_file(name, reliability_plot(data.name)), reliability(data, p))
        mistakes.append(most_confident_mistakes(data, p))
        if data.name == "test":
            write_json(LAYOUT.plot_file(name, ROC), roc_points(data.labels, p))
            write_json(LAYOUT.plot_file(name, PRECISION_RECALL), pr_points(data.labels, p))
            write_json(LAYOUT.plot_file(name, CONFUSION), confusion_rows(data.labels, p))
    model.save(LAYOUT.model_dir(name))
    errors = pd.concat(mistakes, ignore_index=True)
    write_with(LAYOUT.errors_file(name), lambda tmp: errors.to_csv(tmp, index=False))
    write_json(
        LAYOUT.metrics_file(name),
        {
            "model": name,
            **scores,
            "calibration": {"temperature": model.params.get("temperature", 1.0)},
            "timing": timing,
            "n_train": len(frames["train"]),
            "params": {**model_params, "seed": seed},
        },
    )
    t = scores["test"]
    print(
        f"train@{name}: test accuracy {t['accuracy']:.4f}, F1 {t['f1_macro']:.4f}, ECE {t['ece']:.4f} "
        f"(before calibration {t['ece_uncalibrated']:.4f}); {timing['train_seconds']:.1f}s to train"
    )


if __name__ == "__main__":
    run_stage(main)
