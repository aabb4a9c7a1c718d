"""sample: tweets.parquet -> balanced, conversation-disjoint train/val/test splits, and
an unseen_brands test split from the conversations of held-out companies.

The test split gets what was asked first; a split below sample.min_split stops the stage.
Params: base.seed, sample.n_train, sample.n_test, sample.val_fraction,
sample.holdout_brand_fraction, sample.holdout_brands, sample.min_split.
"""

import warnings

import pandas as pd

from twcs_classifier.errors import PipelineError
from twcs_classifier.files import write_json, write_with
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params
from twcs_classifier.sampling import SampleSizes, balanced_sample, choose_holdout_brands
from twcs_classifier.stage_runner import run_stage

LAYOUT = Layout.find()


def main() -> None:
    params = load_params(models=False)
    seed = params.base.seed
    p = params.sample
    sizes = SampleSizes.from_params(p.n_train, p.n_test, p.val_fraction)
    tweets = pd.read_parquet(
        LAYOUT.tweets, columns=["tweet_id", "conversation_id", "company", "author_id", "text", "inbound"]
    )
    holdout = choose_holdout_brands(tweets["company"].tolist(), p.holdout_brand_fraction, seed, p.holdout_brands)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the same messages are printed below and kept in the report
        splits, report = balanced_sample(tweets, sizes, seed, holdout, min_split=p.min_split)
    failed = [k for k, ok in report["checks"].items() if not ok]
    if failed:
        raise PipelineError(
            f"sample: the split checks failed: {', '.join(failed)}",
            "this is a bug in sampling; report it with the params used",
        )
    for name, frame in splits.items():
        write_with(LAYOUT.split_file(name), lambda tmp, f=frame: f.to_parquet(tmp, index=False))
    write_json(LAYOUT.sample_report, report)
    for message in report["warnings"]:
        print(f"warning: {message}")
    print("sample: " + ", ".join(f"{k} {v['n']}" for k, v in report["actual"].items()))


if __name__ == "__main__":
    run_stage(main)
