"""compare: rank the trained models -> metrics/compare.json and metrics/compare.md.

Params: compare.models, compare.rank_by, select.model.
"""

from twcs_classifier.compare import compare
from twcs_classifier.errors import run_stage
from twcs_classifier.files import load_params, read_json, section, write_json, write_text
from twcs_classifier.layout import Layout
from twcs_classifier.selection import chosen_model

LAYOUT = Layout()


def main() -> None:
    params = load_params()
    p = section(params, "compare")
    metrics = {name: read_json(LAYOUT.metrics_file(name)) for name in p["models"]}
    validation_f1 = {name: m["validation"]["f1_macro"] for name, m in metrics.items()}
    selection = chosen_model(section(params, "select")["model"], validation_f1)
    summary, table = compare(metrics, selection, p["rank_by"])
    write_json(LAYOUT.compare_summary, summary)
    write_text(LAYOUT.compare_table, table)
    print(table)


if __name__ == "__main__":
    run_stage(main)
