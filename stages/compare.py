"""compare: rank the trained models -> metrics/compare.json and metrics/compare.md.

Reads each model's metrics/details/<model>.json (never the timings, which change on every run).
Params: compare.models, compare.rank_by, select.model.
"""

from twcs_classifier.compare import compare
from twcs_classifier.errors import run_stage
from twcs_classifier.files import read_json, write_json, write_text
from twcs_classifier.layout import Layout
from twcs_classifier.params import load_params
from twcs_classifier.selection import chosen_model

LAYOUT = Layout()


def main() -> None:
    params = load_params()
    metrics = {name: read_json(LAYOUT.details_file(name)) for name in params.compare.models}
    selection = chosen_model(params.select.model, metrics)
    summary, table = compare(metrics, selection, params.compare.rank_by)
    write_json(LAYOUT.compare_summary, summary)
    write_text(LAYOUT.compare_table, table)
    print(table)


if __name__ == "__main__":
    run_stage(main)
