"""select: install the model select.model chooses (a name, or ``best``: the best validation
macro-F1) in models/selected with its card.

Params: select.model.
"""

from twcs_classifier.errors import run_stage
from twcs_classifier.files import load_params, read_json, section, write_json
from twcs_classifier.layout import Layout
from twcs_classifier.sampling import SPLITS
from twcs_classifier.selection import chosen_model, fingerprint, install_model, model_card

LAYOUT = Layout()


def main() -> None:
    comparison = read_json(LAYOUT.compare_summary)
    validation_f1 = {name: row["val_f1_macro"] for name, row in comparison["models"].items()}
    name = chosen_model(section(load_params(), "select")["model"], validation_f1).model
    install_model(LAYOUT.model_dir(name), LAYOUT.selected)
    card = model_card(
        name,
        read_json(LAYOUT.metrics_file(name)),
        comparison,
        read_json(LAYOUT.sample_report),
        fingerprint(LAYOUT.split_file(split) for split in SPLITS),
    )
    write_json(LAYOUT.model_card, card)
    print(f"select: {name} -> {LAYOUT.selected}. {card['comparison']['verdict']}")


if __name__ == "__main__":
    run_stage(main)
