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
import pandas as pd
import yaml

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--models", nargs="*", default=["gru", "logreg"])
    parser.add_argument("--fractions", nargs="*", type=float, default=[0.125, 0.25, 0.5, 1.0])
    args = parser.parse_args()

    from twcs_classifier.evaluation import eval_sets, evaluate
    from twcs_classifier.models import LabelledTexts, build_model
    from twcs_classifier.tokenizer import Tokenizer

    processed = args.project / "data/processed"
    frames = {s: pd.read_parquet(processed / f"{s}.parquet") for s in ("train", "val", "test", "unseen_brands")}
    params = yaml.safe_load((args.project / "params.yaml").read_text())
    tokenizer = Tokenizer.load(processed / "tokenizer.json")
    seed = int(params["base"]["seed"])

    def labelled(frame: pd.DataFrame) -> LabelledTexts:
        return LabelledTexts(frame["text"].tolist(), frame["label"].to_numpy(), np.stack(frame["token_ids"].to_numpy()))

    sets = eval_sets(frames["val"], frames["test"], frames["unseen_brands"])
    print(f"{'model':<8}{'train tweets':>13}" + "".join(f"{s.name:>20}" for s in sets))
    for name in args.models:
        for fraction in args.fractions:
            train = frames["train"].iloc[: int(len(frames["train"]) * fraction)]
            model = build_model(params["models"][name], seed=seed, tokenizer=tokenizer)
            model.fit(labelled(train), labelled(frames["val"]))
            accuracy = [evaluate(model, s).metrics["accuracy"] for s in sets]
            print(f"{name:<8}{len(train):>13}" + "".join(f"{a:>20.4f}" for a in accuracy), flush=True)


if __name__ == "__main__":
    main()
