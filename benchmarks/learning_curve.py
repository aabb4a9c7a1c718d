"""How test accuracy grows with the number of training tweets (is a model data-bound?).

    python benchmarks/learning_curve.py [--project DIR] [--models gru logreg] [--fractions 0.125 0.25 0.5 1]

Reads ``data/processed`` and ``params.yaml`` of a project where the pipeline has run
(default: this repository), trains each model on the first fraction of the training split
(the vocabulary, validation and test sets stay the same) and prints its accuracy under
every test condition. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from twcs_classifier.layout import PARAMS_FILE, Layout

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=Layout.find(Path(__file__).resolve().parents[1]).root)
    parser.add_argument("--models", nargs="*", default=["gru", "logreg"])
    parser.add_argument("--fractions", nargs="*", type=float, default=[0.125, 0.25, 0.5, 1.0])
    args = parser.parse_args()

    from twcs_classifier.evaluation import eval_sets, evaluate
    from twcs_classifier.models import LabelledTexts, build_model
    from twcs_classifier.params import load_params
    from twcs_classifier.processed import read_processed
    from twcs_classifier.tokenizer import Tokenizer

    layout = Layout(args.project)
    frames, ids = read_processed(("train", "val", "test", "unseen_brands"), layout)
    params = load_params(args.project / PARAMS_FILE)
    tokenizer = Tokenizer.load(layout.tokenizer)
    seed = params.base.seed

    sets = eval_sets(frames["val"], frames["test"], frames["unseen_brands"])
    print(f"{'model':<8}{'train tweets':>13}" + "".join(f"{s.name:>20}" for s in sets))
    for name in args.models:
        for fraction in args.fractions:
            first = np.arange(int(len(frames["train"]) * fraction))
            train = LabelledTexts.from_frame(frames["train"].iloc[first], ids["train"].subset(first))
            model = build_model(params.model(name), seed=seed, tokenizer=tokenizer)
            model.fit(train, LabelledTexts.from_frame(frames["val"], ids["val"]))
            accuracy = [evaluate(model, s).metrics["accuracy"] for s in sets]
            print(f"{name:<8}{len(first):>13}" + "".join(f"{a:>20.4f}" for a in accuracy), flush=True)


if __name__ == "__main__":
    main()
