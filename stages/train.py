"""train@<model>: fit one model on the processed splits, score it under every test
condition, save it.

Usage: python -m stages.train <model>   (a name under ``models`` in params.yaml)
Params: base.seed, models.<model>.
Writes models/<model>/, metrics/details/<model>.json (every number scoring gave),
metrics/<model>.json (its headline: what `dvc metrics show` prints), plots/<model>/,
reports/errors_<model>.csv, reports/predictions/<model>.parquet (every scored tweet's
probability, for compare's paired tests) and reports/timing_<model>.json (seconds; no stage
reads them).
"""

import sys
import time

from twcs_classifier.errors import PipelineError
from twcs_classifier.evaluation import eval_sets, evaluate_all, headline_metrics
from twcs_classifier.files import atomic_dir, write_csv, write_json, write_parquet
from twcs_classifier.layout import Layout
from twcs_classifier.models import LabelledTexts, build_model
from twcs_classifier.params import load_params
from twcs_classifier.processed import read_processed
from twcs_classifier.stage_runner import run_stage
from twcs_classifier.tokenizer import Tokenizer

LAYOUT = Layout.find()


def main() -> None:
    if len(sys.argv) != 2:
        raise PipelineError("train needs one model name", "run: python -m stages.train gru")
    name = sys.argv[1]
    params = load_params()
    seed = params.base.seed
    model_params = params.model(name)
    frames, ids = read_processed(("train", "val", "test", "unseen_brands"), LAYOUT)
    data = {s: LabelledTexts.from_frame(frame, ids[s]) for s, frame in frames.items()}
    model = build_model(
        model_params, seed=seed, tokenizer=Tokenizer.load(LAYOUT.tokenizer), log_dir=str(LAYOUT.training_log(name))
    )
    started = time.perf_counter()
    model.fit(data["train"], data["val"])
    train_seconds = round(time.perf_counter() - started, 2)
    evaluation = evaluate_all(model, eval_sets(frames["val"], frames["test"], frames["unseen_brands"]))

    with atomic_dir(LAYOUT.model_dir(name)) as tmp:
        model.save(tmp)
    for plot, rows in evaluation.plots.items():
        write_json(LAYOUT.plot_file(name, plot), rows)
    write_csv(LAYOUT.errors_file(name), evaluation.mistakes)
    write_parquet(LAYOUT.predictions_file(name), evaluation.predictions)
    epochs = model.epochs_trained
    details = {
        **evaluation.metrics,
        "calibration": {"temperature": model.params["temperature"]},
        **({"training": {"epochs_trained": epochs}} if epochs is not None else {}),
        "n_train": len(frames["train"]),
    }
    write_json(LAYOUT.details_file(name), details)
    write_json(LAYOUT.metrics_file(name), headline_metrics(details))
    write_json(LAYOUT.timing_file(name), {"train_seconds": train_seconds, **evaluation.timing})
    t = evaluation.metrics["test"]
    print(
        f"train@{name}: test accuracy {t['accuracy']:.4f}, F1 {t['f1_macro']:.4f}, ECE {t['ece']:.4f} "
        f"(before calibration {t['ece_uncalibrated']:.4f}); {train_seconds:.1f}s to train"
        + (f", {epochs} epochs" if epochs is not None else "")
    )


if __name__ == "__main__":
    run_stage(main)
