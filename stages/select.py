"""select: install the model select.model chooses (a name, or ``best``: the first model of
compare.models that no other is significantly better than on the validation split, which the
compare stage resolved) in models/selected with its card.

A model that trained no epochs, or whose validation accuracy is no better than chance, is
refused. models/selected is a persistent output (DVC does not remove it before the stage
runs) replaced in one rename, card included, only when a model is accepted: a failed, refused
or killed run leaves the model served before as it was. The card takes the metrics from
metrics/details/<model>.json and the params from the model's own model.json. Params: select.model.
"""

from twcs_classifier.layout import Layout
from twcs_classifier.models import load_model
from twcs_classifier.params import load_params
from twcs_classifier.reading import read_json
from twcs_classifier.sampling import SPLITS
from twcs_classifier.selection import check_servable, fingerprint, install_model, installed_model, model_card
from twcs_classifier.stage_runner import run_stage

LAYOUT = Layout.find()


def main() -> None:
    params = load_params()
    comparison = read_json(LAYOUT.compare_summary)
    name = installed_model(params.select.model, comparison)
    metrics = read_json(LAYOUT.details_file(name))
    check_servable(name, metrics)
    load_model(LAYOUT.model_dir(name))  # it loads as served (files whole, hashes as saved), or stop here
    card = model_card(
        name,
        read_json(LAYOUT.model_meta(name)),
        metrics,
        comparison,
        read_json(LAYOUT.sample_report),
        fingerprint(LAYOUT.split_file(split) for split in SPLITS),
    )
    install_model(LAYOUT.model_dir(name), LAYOUT.selected, card)
    print(f"select: {name} -> {LAYOUT.selected}. {card['comparison']['verdict']}")


if __name__ == "__main__":
    run_stage(main)
