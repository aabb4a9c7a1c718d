"""Where the pipeline's files live: one catalog of paths for the stages that write them and
for serving, the CLI and the app that read them.

:data:`CATALOG` names every path a stage writes, grouped by that stage, as a template
relative to the project root (``{split}``, ``{model}`` and ``{plot}`` are filled in);
``tests/test_layout.py`` checks each against the stage's outs in dvc.yaml. Code asks a
:class:`Layout` for a path and never spells one out. The list of models is not here: it
is ``compare.models`` in params.yaml, which the train stage's matrix in dvc.yaml takes
(``model: ${compare.models}``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ENV = "TWCS_PROJECT_DIR"
"""Environment variable naming the project directory (see :meth:`Layout.find`)."""

DVC_STAGE_ENV = "DVC_STAGE"
"""Set by DVC for a stage's command (the stage's name); DVC runs it in the project's root."""

MODEL_ENV = "TWCS_MODEL_DIR"
"""Environment variable naming the saved model the CLI serves by default (see :meth:`Layout.served_model`)."""

PARAMS_FILE = "params.yaml"
"""Every knob of the pipeline; ``compare.models`` lists the models."""

SELECTED = "selected"
"""The directory name, under ``models/``, of the model the select stage installed."""

MODEL_CARD = "model_card.json"
"""The card the select stage writes inside ``models/selected``: which model, why, its metrics."""

MODEL_META = "model.json"
"""Every saved model directory holds this file: which kind of model it is and its params."""

ROC = "roc"
PRECISION_RECALL = "precision_recall"
CONFUSION = "confusion"
"""Names of the plots of the random test split (files ``plots/<model>/<plot>.json``)."""


def reliability_plot(condition: str) -> str:
    """The name of the reliability diagram of one test condition (a metrics key)."""
    return f"reliability_{condition}"


USER_RAW_DATA = "data/raw/twcs.csv"
"""Where ``make data`` (``fetch-data``) puts twcs.csv, and ``data.raw_path``'s value in the
repository: the user's own file. No stage ever writes it; the fetch stage copies it (or the
file ``data.raw_path`` names) to the pipeline's copy, ``raw_data``."""

CATALOG: dict[str, dict[str, str]] = {
    "fetch": {
        "raw_data": "data/fetched/twcs.csv",
        "fetch_report": "data/fetched/fetch_report.json",
    },
    "extract": {
        "tweets": "data/interim/tweets.parquet",
        "extract_report": "data/interim/extract_report.json",
    },
    "sample": {
        "split": "data/splits/{split}.parquet",
        "sample_report": "data/splits/sample_report.json",
    },
    "clean_tokenize": {
        "processed": "data/processed/{split}.parquet",
        "pieces": "data/processed/pieces.parquet",
        "tokenizer": "data/processed/tokenizer.json",
    },
    "train": {
        "model": "models/{model}",
        "metrics": "metrics/{model}.json",
        "metrics_details": "metrics/details/{model}.json",
        "timing": "reports/timing_{model}.json",
        "plot": "plots/{model}/{plot}.json",
        "training_log": "plots/{model}/training",
        "errors": "reports/errors_{model}.csv",
        "predictions": "reports/predictions/{model}.parquet",
    },
    "compare": {
        "compare_summary": "metrics/compare.json",
        "compare_table": "metrics/compare.md",
    },
    "select": {
        "selected": f"models/{SELECTED}",
        "model_card": f"models/{SELECTED}/{MODEL_CARD}",
    },
}
"""Path templates by the stage that writes them, then by entry name."""

TEMPLATES: dict[str, str] = {entry: template for paths in CATALOG.values() for entry, template in paths.items()}
"""Every entry of :data:`CATALOG` by name."""


@dataclass(frozen=True)
class Layout:
    """The paths of one project: relative to the working directory by default (the stages
    run from the repository root), or under ``root``."""

    root: Path = Path()

    @classmethod
    def find(cls, default: str | Path | None = None, environ: Mapping[str, str] | None = None) -> Layout:
        """The project, found the one way the stages, the CLI, the app and the benchmarks use:
        the working directory when DVC runs a stage (``$DVC_STAGE`` is set: DVC runs it in the
        project's root, a temporary copy for ``dvc exp run --temp``, whatever else is set; its
        ``$DVC_ROOT`` may name the repository the experiment was started from); else
        ``$TWCS_PROJECT_DIR`` if set and not blank; else ``default`` (the app passes its own
        folder); else the working directory. The working directory is kept relative
        (``Path()``), so the paths in messages read as the user types them."""
        env = os.environ if environ is None else environ
        chosen = (env.get(PROJECT_ENV) or "").strip()
        if env.get(DVC_STAGE_ENV):
            root = Path()
        elif chosen:
            root = Path(chosen).expanduser()
        else:
            root = Path(default if default is not None else ".")
        root = root.resolve()
        return cls(Path() if root == Path.cwd().resolve() else root)

    def served_model(self, environ: Mapping[str, str] | None = None) -> Path:
        """The saved model served by default: ``$TWCS_MODEL_DIR`` if set and not blank (a model
        anywhere), else this project's ``models/selected``."""
        env = os.environ if environ is None else environ
        chosen = (env.get(MODEL_ENV) or "").strip()
        return Path(chosen).expanduser() if chosen else self.selected

    def path(self, entry: str, **fields: str) -> Path:
        """The path of catalog ``entry`` with its ``{split}``/``{model}``/``{plot}`` filled in."""
        return self.root / TEMPLATES[entry].format(**fields)

    def _folder(self, entry: str) -> Path:
        return self.root / Path(TEMPLATES[entry]).parent

    # -- fetch, extract, sample, clean_tokenize ----------------------------------------------
    @property
    def user_raw_data(self) -> Path:
        """:data:`USER_RAW_DATA`: where ``fetch-data`` puts twcs.csv; the user's file, never
        written by a stage."""
        return self.root / USER_RAW_DATA

    @property
    def raw_data(self) -> Path:
        """The pipeline's copy of twcs.csv (of the file ``data.raw_path`` names), a DVC-tracked
        output that only the fetch stage writes."""
        return self.path("raw_data")

    @property
    def fetch_report(self) -> Path:
        """Which file the pipeline's copy of twcs.csv was taken from, and the sha256 of both (JSON)."""
        return self.path("fetch_report")

    @property
    def tweets(self) -> Path:
        """Every valid tweet of twcs.csv, with its conversation and company (Parquet)."""
        return self.path("tweets")

    @property
    def extract_report(self) -> Path:
        """The counts of the extract stage (JSON)."""
        return self.path("extract_report")

    def split_file(self, split: str) -> Path:
        """One split of raw tweets with labels (Parquet)."""
        return self.path("split", split=split)

    @property
    def sample_report(self) -> Path:
        """Requested and actual split sizes, warnings and leak checks (JSON)."""
        return self.path("sample_report")

    def processed_file(self, split: str) -> Path:
        """One split with its normalised text and token ids (Parquet)."""
        return self.path("processed", split=split)

    @property
    def pieces(self) -> Path:
        """Every distinct token of the processed splits with its n-gram and word ids (Parquet)."""
        return self.path("pieces")

    @property
    def tokenizer(self) -> Path:
        """The vocabulary learnt from the training split and the n-gram settings (JSON)."""
        return self.path("tokenizer")

    # -- train@<model> -------------------------------------------------------------------------
    def model_dir(self, model: str) -> Path:
        """A saved model: one of the trained models, or :data:`SELECTED`."""
        return self.path("model", model=model)

    def model_meta(self, model: str) -> Path:
        """A saved model's kind and params (its seed and fitted temperature included)."""
        return self.model_dir(model) / MODEL_META

    def metrics_file(self, model: str) -> Path:
        """A model's headline metrics, numbers only: what ``dvc metrics show`` and ``dvc exp show``
        print (JSON; :func:`twcs_classifier.evaluation.headline_metrics` of the details)."""
        return self.path("metrics", model=model)

    def details_file(self, model: str) -> Path:
        """Every number scoring a model gave: each metric of the validation split and every test
        condition (per class, confusion counts), its temperature, epochs and training-split size
        (JSON). Compare, select and the app read it; DVC does not show it as metrics."""
        return self.path("metrics_details", model=model)

    def timing_file(self, model: str) -> Path:
        """Seconds a model took to train and to predict each set (JSON): they change on every
        run, so no stage depends on them and DVC caches them out of git."""
        return self.path("timing", model=model)

    def plot_file(self, model: str, plot: str) -> Path:
        """The rows of one of a model's plots (JSON)."""
        return self.path("plot", model=model, plot=plot)

    def training_log(self, model: str) -> Path:
        """Where dvclive logs a model's training curves (a directory)."""
        return self.path("training_log", model=model)

    def errors_file(self, model: str) -> Path:
        """A model's most confident mistakes per test condition (CSV)."""
        return self.path("errors", model=model)

    def predictions_file(self, model: str) -> Path:
        """A model's inbound probability for every tweet of every scored set, with its label
        and tweet id (Parquet): what compare's paired tests read."""
        return self.path("predictions", model=model)

    # -- compare, select -----------------------------------------------------------------------
    @property
    def compare_summary(self) -> Path:
        """The ranking, the paired verdicts and every paired test of the compare stage (JSON)."""
        return self.path("compare_summary")

    @property
    def compare_table(self) -> Path:
        """The compare stage's table and verdicts (Markdown)."""
        return self.path("compare_table")

    @property
    def selected(self) -> Path:
        """``models/selected``: the model that serving loads by default."""
        return self.path("selected")

    @property
    def model_card(self) -> Path:
        """The selected model's card (JSON)."""
        return self.path("model_card")

    # -- folders and params -----------------------------------------------------------------------
    @property
    def models(self) -> Path:
        """The folder of the saved models (one directory per model, and ``selected``)."""
        return self._folder("model")

    @property
    def metrics(self) -> Path:
        """The folder of the metrics files (``<model>.json``, ``details/`` and the compare summary)."""
        return self._folder("metrics")

    @property
    def plots(self) -> Path:
        """The folder of the plot folders (one per model)."""
        return self._folder("plot").parent

    @property
    def params_file(self) -> Path:
        """``params.yaml``."""
        return self.root / PARAMS_FILE


__all__ = [
    "CATALOG",
    "CONFUSION",
    "DVC_STAGE_ENV",
    "MODEL_CARD",
    "MODEL_ENV",
    "MODEL_META",
    "PARAMS_FILE",
    "PRECISION_RECALL",
    "PROJECT_ENV",
    "ROC",
    "SELECTED",
    "TEMPLATES",
    "USER_RAW_DATA",
    "Layout",
    "reliability_plot",
]
