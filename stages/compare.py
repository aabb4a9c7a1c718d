"""compare: rank the trained models and test every pair on the same tweets ->
metrics/compare.json and metrics/compare.md.

Reads each model's metrics/details/<model>.json (the figures; never the timings, which
change on every run) and reports/predictions/<model>.parquet (every scored tweet, for the
paired tests). Params: compare.models, compare.rank_by, compare.alpha, select.model.
"""

from twcs_classifier.compare import compare, paired_tests_by_set
from twcs_classifier.files import write_json, write_text
from twcs_classifier.layout import Layout
from twcs_classifier.paired import correct_by_set
from twcs_classifier.params import load_params
from twcs_classifier.reading import read_json, read_parquet
from twcs_classifier.selection import chosen_model
from twcs_classifier.stage_runner import run_stage

LAYOUT = Layout.find()


def main() -> None:
    params = load_params(models=False)
    names = params.compare.models
    metrics = {name: read_json(LAYOUT.details_file(name)) for name in names}
    predictions = {name: read_parquet(LAYOUT.predictions_file(name)) for name in names}
    rank_by, alpha = params.compare.rank_by, params.compare.alpha
    tests = paired_tests_by_set(metrics, correct_by_set(predictions), rank_by, alpha)
    selection = chosen_model(params.select.model, metrics, tests.get("validation"))
    summary, report = compare(metrics, selection, tests, rank_by, alpha)
    write_json(LAYOUT.compare_summary, summary)
    write_text(LAYOUT.compare_table, report)
    print(report)


if __name__ == "__main__":
    run_stage(main)
