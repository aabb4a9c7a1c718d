"""Variants of one model's params, over several seeds, scored on validation and every test
condition: the evidence for choosing a default.

    python benchmarks/variants.py --model gru --seeds 42 1 2 \\
        --variant default \\
        --variant mask_augment=0.3 \\
        --variant mask_augment=0.3 ema_momentum=0.99

Reads ``data/processed`` and ``params.yaml`` of a project where the pipeline has run (by
default this repository), trains ``models.<model>`` with each variant's overrides (``key=value``,
values read as YAML; ``default`` for none) once per seed, and prints one row per run and a
mean ± standard deviation per variant of: validation accuracy on the raw and on the masked
validation texts (what a choice between variants may look at), then the three test
conditions (what is reported, never what chooses). The same runs as DVC experiments:
``dvc exp run -S models.gru.mask_augment=0.3 -S models.gru.seed=1``. Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from twcs_classifier.layout import PARAMS_FILE, Layout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

VALIDATION_MASKED = "validation_masked"
"""The one set added to the package's (:func:`twcs_classifier.evaluation.eval_sets`): the masked
validation texts, which a choice between variants may look at (the test conditions never choose)."""


def parse_variant(text: str) -> dict[str, object]:
    """``"a=1 b=true"`` → ``{"a": 1, "b": True}``; ``"default"`` → ``{}``."""
    if text.strip() == "default":
        return {}
    pairs = [item.split("=", 1) for item in text.split()]
    return {key: yaml.safe_load(value) for key, value in pairs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=Layout.find(Path(__file__).resolve().parents[1]).root)
    parser.add_argument("--model", default="gru")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--variant", action="append", default=None, help='"key=value ..." or "default"')
    parser.add_argument("--json", type=Path, help="also append one JSON line per run here")
    args = parser.parse_args()

    from twcs_classifier.evaluation import EvalSet, eval_sets
    from twcs_classifier.metrics import classification_metrics
    from twcs_classifier.models import LabelledTexts, build_model
    from twcs_classifier.params import load_params
    from twcs_classifier.processed import read_processed
    from twcs_classifier.tokenizer import Tokenizer

    layout = Layout(args.project)
    frames, ids = read_processed(("train", "val", "test", "unseen_brands"), layout)
    tokenizer = Tokenizer.load(layout.tokenizer)
    base = load_params(args.project / PARAMS_FILE).model(args.model)

    # validation, then every test condition, from the package's one list (a new condition is in)
    validation, *conditions = eval_sets(frames["val"], frames["test"], frames["unseen_brands"])
    masked = EvalSet.from_frame(VALIDATION_MASKED, frames["val"], masked=True)
    sets = {data.name: data for data in (validation, masked, *conditions)}
    columns = tuple(sets)
    print(
        f"# {args.model} variants, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    print("# splits: " + ", ".join(f"{k} {len(f)}" for k, f in frames.items()) + "; figures are accuracy")
    print(f"{'variant':<44}{'seed':>5}{'epochs':>7}{'s':>7}" + "".join(f"{c:>20}" for c in columns))
    results: dict[str, list[dict[str, float]]] = {}
    for text in args.variant or ["default"]:
        overrides = parse_variant(text)
        for seed in args.seeds:
            model = build_model({**base, **overrides, "seed": seed}, tokenizer=tokenizer)
            started = time.perf_counter()
            model.fit(*(LabelledTexts.from_frame(frames[s], ids[s]) for s in ("train", "val")))
            seconds = time.perf_counter() - started
            row = {
                name: classification_metrics(data.labels, model.predict_proba(data.texts)[:, 1])["accuracy"]
                for name, data in sets.items()
            }
            epochs = getattr(model, "epochs_trained", 0)
            results.setdefault(text, []).append(row)
            print(f"{text:<44}{seed:>5}{epochs:>7}{seconds:>7.0f}" + "".join(f"{row[c]:>20.4f}" for c in columns))
            if args.json:
                with args.json.open("a") as fh:
                    fh.write(json.dumps({"variant": text, "seed": seed, "epochs": epochs, "seconds": seconds, **row}))
                    fh.write("\n")
    print("\n# mean ± standard deviation over the seeds")
    for text, rows in results.items():
        cells = []
        for c in columns:
            values = [r[c] for r in rows]
            sd = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.fmean(values):.4f} ± {sd:.4f}")
        print(f"{text:<56}" + "".join(f"{c:>20}" for c in cells))


if __name__ == "__main__":
    main()
