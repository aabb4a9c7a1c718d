"""select: install the model named by select.model in models/selected with its card.

Params: select.model.
"""

from pathlib import Path

from twcs_classifier.errors import PipelineError, run_stage
from twcs_classifier.files import load_params, read_json, section, write_json
from twcs_classifier.selection import CARD_FILE, fingerprint, install_model, model_card

TARGET = Path("models/selected")


def main() -> None:
    name = section(load_params(), "select")["model"]
    comparison = read_json("metrics/compare.json")
    if name not in comparison["models"]:
        raise PipelineError(
            f"select.model is {name!r}, which was not trained",
            f"set select.model to one of: {', '.join(comparison['models'])}",
        )
    install_model(f"models/{name}", TARGET)
    card = model_card(
        name,
        read_json(f"metrics/{name}.json"),
        comparison,
        read_json("data/splits/sample_report.json"),
        fingerprint(Path("data/splits").glob("*.parquet")),
    )
    write_json(TARGET / CARD_FILE, card)
    print(f"select: {name} -> {TARGET}. {card['comparison']['verdict']}")


if __name__ == "__main__":
    run_stage(main)
